{ "targets": [ { "target_name": "page_codec", "sources": ["src/page_codec.c"], "libraries": ["-ldl", "-lpthread"] } ] }
