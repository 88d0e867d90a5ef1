"""A downstream service: read claim events from `claims` with plain kafka-python.

Usage: python examples/subscribe_claims.py [BOOTSTRAP] [MAX_CLAIMS] [TOPIC]
"""

import json
import sys

from kafka import KafkaConsumer

bootstrap = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9092"
max_claims = int(sys.argv[2]) if len(sys.argv) > 2 else 10
topic = sys.argv[3] if len(sys.argv) > 3 else "claims"  # "<prefix>claims" with CLAIMSTREAM_TOPIC_PREFIX

consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id="my-downstream-service",  # your service's own consumer group
    auto_offset_reset="earliest",  # a new group starts from the first claim
    value_deserializer=json.loads,
    consumer_timeout_ms=30_000,  # give up after 30 s without a claim
)
for n, message in enumerate(consumer, start=1):
    claim = message.value  # one claim event; schemas/claim.schema.json is the contract
    quantity = claim["quantity"] or {}
    print(claim["claim_id"], claim["type"], claim["certainty"], quantity.get("value"), claim["text"][:60])
    if n >= max_claims:
        break
consumer.close()
