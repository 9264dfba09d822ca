# Audio Messenger. On a fresh Debian/Ubuntu machine with node/npm and apt:
#   make dev    relay + echo bot + interactive client
#   make test   every check and test; ends with "N passed, N failed"
.PHONY: dev test setup dist compile-native bench server client check clean

setup:
	bash scripts/setup.sh

dev:
	bash scripts/dev.sh

test:
	bash scripts/test.sh

check: setup
	.tools/bin/deno fmt --check && .tools/bin/deno lint && .tools/bin/deno check server.ts client.ts lib/ audio/ tests/ bench/

dist: setup
	bash scripts/compile.sh

compile-native: setup
	bash scripts/compile.sh native

bench: setup
	bash scripts/bench.sh

server: setup
	.tools/bin/deno task server $(ARGS)

client: setup
	.tools/bin/deno task client $(ARGS)

clean:
	rm -rf dist
