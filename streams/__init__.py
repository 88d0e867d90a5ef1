"""claimstream: news pages in, claim events out, on Kafka with Faust."""

__version__ = "0.1.0"
