# TEAM-rs: the two commands of the README are `make run` and `make test`.
.PHONY: run test fmt lint unit e2e bench

CARGO ?= cargo

## Run the product locally with the demo organization on http://127.0.0.1:8080
run:
	$(CARGO) run -p teamd -- --data-dir .teamd

## Every check and every test (what CI runs)
test: fmt lint unit e2e

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) nextest run --workspace --locked --no-fail-fast

e2e:
	$(CARGO) build -p teamd --locked
	tests/e2e/walkthrough.sh "$${CARGO_TARGET_DIR:-target}/debug/teamd"

## Benchmarks: writes target/bench/report.md
bench:
	$(CARGO) bench -p teamd --bench lifecycle
