{ "targets": [ { "target_name": "page_zlib", "sources": ["src/page_zlib.c"], "libraries": ["-ldl"] } ] }
