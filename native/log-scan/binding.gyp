{ "targets": [ { "target_name": "log_scan", "sources": ["src/log_scan.c"], "libraries": ["-ldl"] } ] }
