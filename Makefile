# Thin wrappers over the npm scripts, so both `make test` and `npm test` work.
.PHONY: all generate check-generated build test bench demo clean

all: build

generate:
	protos/generate.sh

check-generated:
	protos/generate.sh --check

# Sources run directly on Node's type stripping; building means type-checking them.
build:
	npx --no-install tsc -p .

test:
	npm test

bench:
	npm run bench

demo:
	npm run demo

clean:
	rm -f generated/envoy.js generated/envoy.d.ts
