# Performance: the load generator's ladder against a temporary PostgreSQL, redis-server and
# backend(s) (bench/results.json, bench/*.svg, the CPU profile of the saturated run), and the
# Go benchmarks of the hot paths (bench/gobench.txt, comparable with benchstat).
# Not part of TEST_TARGETS: a bench run takes ~10 minutes and wants a quiet machine.
BENCH_DIR ?= bench
BENCH_TMP ?= $(BENCH_DIR)/tmp
BENCH_LADDER ?= 100x1000,1000x1000,1000x5000,5000x5000,5000x10000
BENCH_STEP ?= 30s
BENCH_WARMUP ?= 10s
BENCH_BACKENDS ?= 1
# direct: players connect to each backend's /ws; apigw: through the API Gateway emulator
BENCH_TRANSPORT ?= direct
BENCH_SATURATE_GAMES ?= 400
BENCH_IDLE_CONNS ?= 10000
# Wait (up to BENCH_QUIET_WAIT per run) for a 1-minute load average below BENCH_QUIET_LOAD.
BENCH_QUIET_LOAD ?= 1.5
BENCH_QUIET_WAIT ?= 10m
BENCH_FLAGS ?=
# Extra backend environment for a tuning experiment, e.g. DB_GROUP_COMMIT=4,DB_MAX_CONNS=12,REDIS_POOL_SIZE=64
BENCH_SERVER_ENV ?=
GOBENCH_COUNT ?= 6
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

.PHONY: bench bench-smoke bench-go bench-build

bench-build:
	@mkdir -p $(BENCH_TMP)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BENCH_TMP)/chess-server ./app/cmd/chess-server
	$(GO) build -o $(BENCH_TMP)/loadgen ./app/cmd/loadgen

bench: bench-build ## load ladder + saturated run (CPU profile) + 10k idle connections -> bench/
	# The open-file limit: 10,000+ sockets in the generator and in the backend it starts.
	ulimit -n 200000 2>/dev/null || ulimit -n $$(ulimit -Hn); \
	$(BENCH_TMP)/loadgen bench -server-bin $(BENCH_TMP)/chess-server -work $(BENCH_TMP) -out-dir $(BENCH_DIR) \
		-out $(BENCH_DIR)/results.json -ladder $(BENCH_LADDER) -step $(BENCH_STEP) -warmup $(BENCH_WARMUP) \
		-backends $(BENCH_BACKENDS) -transport $(BENCH_TRANSPORT) -saturate-games $(BENCH_SATURATE_GAMES) -idle-conns $(BENCH_IDLE_CONNS) \
		-quiet-load $(BENCH_QUIET_LOAD) -quiet-wait $(BENCH_QUIET_WAIT) -go $(GO) $(if $(BENCH_SERVER_ENV),-server-env $(BENCH_SERVER_ENV)) $(BENCH_FLAGS) \
		2> $(BENCH_TMP)/bench.log

bench-smoke: bench-build ## a 1-minute bench with tiny loads (checks the machinery, figures mean nothing)
	$(BENCH_TMP)/loadgen bench -server-bin $(BENCH_TMP)/chess-server -work $(BENCH_TMP) -out-dir $(BENCH_TMP)/smoke \
		-out $(BENCH_TMP)/smoke/results.json -ladder 10x50,20x100 -step 5s -warmup 3s -saturate-games 10 \
		-saturate-for 8s -profile-for 4s -idle-conns 200 -idle-hold 2s -go $(GO) 2> $(BENCH_TMP)/bench-smoke.log

# Go benchmarks of the hot paths. Compare two runs with:
#   $(BENCHSTAT) old.txt bench/gobench.txt
bench-go: ## Go benchmarks of the hot paths -> bench/gobench.txt (benchstat format)
	@mkdir -p $(BENCH_DIR)
	$(GO) test -run '^$$' -bench 'PlayAt|PlayInterleaved|LegalMoves|GameLoop' -benchmem -count $(GOBENCH_COUNT) ./app/internal/rules/ > $(BENCH_TMP)/gobench.txt
	$(GO) test -run '^$$' -bench . -benchmem -count $(GOBENCH_COUNT) ./app/internal/clock/ ./app/internal/protocol/ ./app/internal/game/ >> $(BENCH_TMP)/gobench.txt
	$(GO) test -run '^$$' -bench 'PutGame|GetGame' -benchmem -count $(GOBENCH_COUNT) ./app/internal/store/redisstore/ >> $(BENCH_TMP)/gobench.txt
	$(GO) test -run '^$$' -bench 'CommitMove$$|CommitMoveParallel/writers=32/group=[02]$$' -benchmem -count $(GOBENCH_COUNT) ./app/internal/store/pgstore/ >> $(BENCH_TMP)/gobench.txt
	mv $(BENCH_TMP)/gobench.txt $(BENCH_DIR)/gobench.txt
	$(BENCHSTAT) $(BENCH_DIR)/gobench.txt > $(BENCH_DIR)/gobench-summary.txt
