"""A flowcontainer-style script: server names and payload lengths of the
TLS flows of a capture.

It differs from the same script written for flowcontainer by its import line
only (flowcontainer: ``from flowcontainer.extractor import extract``).

    FLOWSHARK=build/extractor/flowshark PYTHONPATH=python \
        python3 python/examples/flowcontainer_example.py samples/tls.pcap
"""
import sys

from flowshark.extractor import extract

pcap = sys.argv[1] if len(sys.argv) > 1 else "samples/tls.pcap"
result = extract(pcap, filter="tcp", extension=["tls.handshake.extensions_server_name"])

for key in result:
    # key: (capture file, "tcp" or "udp", stream id as a string)
    value = result[key]
    print("Flow {0} info:".format(key))
    print("src ip:", value.src, "sport:", value.sport)
    print("dst ip:", value.dst, "dport:", value.dport)
    print("payload lengths:", value.payload_lengths)
    print("start timestamp: {0}, end timestamp: {1}".format(value.time_start, value.time_end))
    # (value, index of the packet in ip_lengths) pairs, if the flow has any
    for sni, index in value.extension.get("tls.handshake.extensions_server_name", []):
        direction = "client->server" if value.ip_lengths[index] > 0 else "server->client"
        print("sni:", sni, "(packet {0}, {1})".format(index, direction))
print(len(result), "flows")
