"""Topic layout: every topic created up front with its partition count; changelogs bounded by their configs."""

from __future__ import annotations

from streams import topics as t
from streams.settings import Settings
from streams.stages.aggregates import WINDOW_BY_LABEL, pane_keep_s


def test_every_table_changelog_is_created_with_the_source_partition_count() -> None:
    settings = Settings(partitions=6)
    created = t.all_topics(settings)
    for table in t.TABLES:
        expected = 1 if table in t.SINGLE_PARTITION_TABLES else 6
        assert created[t.changelog_topic(settings, table)] == expected
    assert created[settings.topic(t.PREPARED)] == 1
    assert created[settings.topic(t.ACTOR_CLAIMS)] == 6


def test_every_changelog_is_compacted_windowed_ones_expire_and_every_topic_takes_large_messages() -> None:
    settings = Settings()
    configs = t.topic_configs(settings)
    assert set(configs) == set(t.all_topics(settings))
    for config in configs.values():  # every topic takes the largest message a worker sends
        assert int(config["max.message.bytes"]) == settings.message_max_bytes > 4 * settings.max_article_bytes
    for table in t.SINGLE_PARTITION_TABLES:  # clean-seen
        assert configs[t.changelog_topic(settings, table)]["cleanup.policy"] == "compact"
    for label, table in t.PANE_TABLES.items():
        config = configs[t.changelog_topic(settings, table)]
        assert config["cleanup.policy"] == "compact,delete"
        spec = WINDOW_BY_LABEL[label]
        # Kept for at least the window plus its lateness, else a recovered window would miss panes.
        assert int(config["retention.ms"]) == pane_keep_s(spec) * 1000 > spec.size_s * 1000
