# The two commands a new machine needs (README): `make demo` and `make test`.
# Everything else here is a step they depend on.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build demo test test-unit test-asan bench clean

all: build

# Idempotent: a quick dpkg query when everything is installed.
deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo $(BUILD)/transformers

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/build.ninja: | deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 -DTFM_SANITIZE=ON \
	  -DTFM_BUILD_BENCH=OFF $(CMAKE_ARGS)

# The sanitizer build runs every test. -O1 without debug info compiles far faster than
# RelWithDebInfo; reports name the functions (add -g to CMAKE_CXX_FLAGS for line numbers).
# allocator_may_return_null: an impossible allocation returns null as in a normal build, so the
# tests can check that it becomes a clear error.
test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

test: test-unit test-asan

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
