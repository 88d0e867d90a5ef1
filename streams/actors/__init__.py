"""Actor registry data and resolver: ISO3 countries, persons, organisations, media, metonyms."""
