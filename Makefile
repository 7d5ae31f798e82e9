# prefpipe — build every executable the machine can build.
#
#   make            bin/* (CUDA objects too where nvcc exists)
#   make test       C unit tests + bats suites (CPU only, minutes)
#   make test-cuda  the CUDA checks on a GPU machine (tests/cuda.bats)
#   make asan       the same tests against an AddressSanitizer/UBSan build
#   make bench      speed benchmarks (tests/bench/*.sh), beside references
#   make data       benchmark files from upstream, checksummed, into
#                   $PREFPIPE_DATA (default data/; tools/fetch-data.sh)
#   make fuzz       libFuzzer targets (clang); make fuzz-run runs them
#   make install    PREFIX=/usr/local: binaries, man pages, schemas
#
# Every filters/NAME.c becomes bin/NAME linked with build/libprefpipe.a
# (every lib/FOLDER/*.c plus the schemas compiled in, see lib/README.md);
# tests/unit/FOLDER/NAME.c becomes build/tests/NAME.  New files are picked
# up by the per-folder wildcards below; every object, filter and test
# depends on exactly the headers it includes (-MMD -MP).

CC       ?= cc
BUILD    ?= build
BIN      ?= bin
PREFIX   ?= /usr/local
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN      = -Wall -Wextra -Wno-unused-parameter
CPPFLAGS += -Ilib -D_GNU_SOURCE
# -ffp-contract=off: no a*b+c fused behind the code's back.  GCC's default
# in ISO C mode anyway (the objects are the same), but said here so that it
# holds with CFLAGS=-std=gnu11 too: the CPU kernels' same-bits contracts
# rest on it (fexp = the vector exp, AVX-512 = AVX2, any thread count:
# cpu_vec16_int.h; built with -std=gnu11, test_train fails 11 checks).
ALL_CFLAGS = -std=c11 $(WARN) -fopenmp $(CFLAGS) -ffp-contract=off $(XCFLAGS)
LDLIBS    = -lmsgpackc -lzmq -ljansson -lpcre2-8 -lopenblas -lz -lm -fopenmp $(XLDFLAGS)

NVCC     ?= /usr/local/cuda/bin/nvcc
CUDA     ?= $(if $(wildcard $(NVCC)),1,0)
CUDA_SRC  = $(wildcard lib/backend/cuda/*.cu)
ifeq ($(CUDA),1)
ifneq ($(CUDA_SRC),)
CPPFLAGS += -DPREFPIPE_CUDA
NVFLAGS  ?= -O2 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
NVFLAGS  += -std=c++17 --extended-lambda -Xcompiler -Wall,-Wextra,-Wno-unused-parameter,-Wno-unused-function
CUDA_OBJ  = $(CUDA_SRC:lib/%.cu=$(BUILD)/lib/%.o)
# cuBLAS is dlopen()ed when a device is opened (lib/backend/cuda/cuda_int.h:
# linking it costs every process ~2 s at start); the runtime is static.
LDLIBS   += -L/usr/local/cuda/lib64 -lcudart_static -ldl -lrt -lpthread -lstdc++ -Wl,-rpath,/usr/local/cuda/lib64
endif
endif

# Ranks (lib/dist/dist.h): MPI=1 (default where pkg-config finds Open MPI's
# ompi-c) builds the "mpi" engine and links libmpi into every executable;
# MPI=0 builds single-process binaries.  NCCL=1 (default where CUDA and MPI
# are built and nccl.h is beside CUDA) adds the "nccl" engine for GPU ranks;
# libnccl is dlopen()ed when a GPU rank attaches, as cuBLAS is.
MPI      ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
CUDA_INC ?= $(dir $(NVCC))../include
NCCL     ?= $(if $(and $(filter 1,$(CUDA)),$(filter 1,$(MPI)),$(wildcard $(CUDA_INC)/nccl.h)),1,0)
DIST_OFF  = $(if $(filter 1,$(MPI)),,lib/dist/dist_mpi.c) $(if $(filter 1,$(NCCL)),,lib/dist/dist_nccl.c)
ifeq ($(MPI),1)
CPPFLAGS += -DPREFPIPE_MPI
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c)
LDLIBS   += $(shell pkg-config --libs ompi-c)
endif
ifeq ($(NCCL),1)
CPPFLAGS += -DPREFPIPE_NCCL
endif

# lib/ is one folder per floor (lib/README.md); tests/unit mirrors it.
LIB_DIRS  = base io text data model backend backend/cpu backend/ref train rl eval dist
LIB_SRC   = $(filter-out $(DIST_OFF),$(foreach d,$(LIB_DIRS),$(wildcard lib/$(d)/*.c)))
LIB_OBJ   = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o) $(BUILD)/gen/schemas_gen.o $(BUILD)/gen/commit.o \
            $(BUILD)/gen/plot_style.o
LIB_A     = $(BUILD)/libprefpipe.a
PROGS     = $(patsubst filters/%.c,$(BIN)/%,$(wildcard filters/*.c))
UNIT_SRC  = $(foreach d,$(LIB_DIRS),$(wildcard tests/unit/$(d)/*.c))
UNIT      = $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(UNIT_SRC)))
SCHEMAS   = $(wildcard schemas/*.json)
HEADERS   = $(foreach d,$(LIB_DIRS) backend/cuda,$(wildcard lib/$(d)/*.h))
vpath test_%.c $(addprefix tests/unit/,$(LIB_DIRS))

all: $(PROGS) $(UNIT)

# -MMD -MP: each object also depends on exactly the headers it includes
$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(XCPP) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# the CPU backend's loops again for x86-64-v3 (AVX2, FMA), picked at run
# time on processors that have them (lib/backend/cpu/backend_cpu_v3.c)
CPU_V3 := $(shell [ "$$(uname -m)" = x86_64 ] && $(CC) -march=x86-64-v3 -E -x c /dev/null >/dev/null 2>&1 && echo -march=x86-64-v3)
$(BUILD)/lib/backend/cpu/backend_cpu_v3.o: XCPP = $(CPU_V3)

# the engines see their libraries' headers (nothing else does)
$(BUILD)/lib/dist/dist_mpi.o: XCPP = $(MPI_CFLAGS)
$(BUILD)/lib/dist/dist_nccl.o: XCPP = $(MPI_CFLAGS) -I$(CUDA_INC)

-include $(LIB_OBJ:.o=.d) $(CUDA_OBJ:.o=.d) $(PROGS:$(BIN)/%=$(BUILD)/filters/%.d) $(UNIT:%=%.d)

$(BUILD)/gen/schemas_gen.c: $(SCHEMAS) tools/embed-schemas.sh
	@mkdir -p $(@D)
	sh tools/embed-schemas.sh $@ $(SCHEMAS)

$(BUILD)/gen/schemas_gen.o: $(BUILD)/gen/schemas_gen.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the commit run_config.json records (base/run_args.h): commit.c is
# rewritten only when HEAD moves, so an unchanged tree relinks nothing
$(BUILD)/gen/commit.c: FORCE
	@mkdir -p $(@D)
	@c=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown); \
	  printf 'const char prefpipe_commit_text[] = "%s";\n' "$$c" > $@.new; \
	  if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# eval-report --plot starts its gnuplot scripts with the shared style
# (lib/eval/report.c), the same file the pipelines load
$(BUILD)/gen/plot_style.c: tools/plot-style.gp
	@mkdir -p $(@D)
	{ echo 'const char prefpipe_plot_style[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $<; echo ';'; } > $@

$(BUILD)/gen/plot_style.o: $(BUILD)/gen/plot_style.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/commit.o: $(BUILD)/gen/commit.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

FORCE:

# nvcc writes its own -MMD dependency file, like the C rule above
$(BUILD)/lib/%.o: lib/%.cu
	@mkdir -p $(@D)
	$(NVCC) $(NVFLAGS) -Ilib -MMD -MP -MF $(@:.o=.d) -c -o $@ $<

$(LIB_A): $(LIB_OBJ) $(CUDA_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: filters/%.c $(LIB_A)
	@mkdir -p $(@D) $(BUILD)/filters
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -MF $(BUILD)/filters/$*.d -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/tests/test_%: test_%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(LIB_A) $(LDLIBS)

# ---- dependencies ----
# `make deps` installs the Debian packages (as root) or prints the apt-get
# line; the header check below turns a missing -dev package into that
# advice instead of a wall of compiler errors.
deps:
	sh tools/install-deps.sh

DEP_HEADERS = /usr/include/msgpack.h /usr/include/zmq.h /usr/include/jansson.h \
              /usr/include/pcre2.h /usr/include/zlib.h
MISSING_HEADERS = $(filter-out $(wildcard $(DEP_HEADERS)),$(DEP_HEADERS))
ifneq ($(MISSING_HEADERS),)
$(info prefpipe: missing $(MISSING_HEADERS); run 'make deps' (as root) or tools/install-deps.sh)
endif

# ---- tests ----
BATS      ?= bats
BATS_FILES = $(wildcard tests/*.bats)

# check-layers: the include rules between lib/ folders (lib/README.md)
check-layers:
	@sh tools/check-layers.sh lib

test: all check-layers
	@PREFPIPE_BIN=$(abspath $(BIN)) PREFPIPE_BUILD=$(abspath $(BUILD)) sh tests/run-tests.sh $(TESTS)

# test-cuda: the GPU checks (tests/cuda.bats, which runs test_backend_parity
# with cpu,cuda) with PREFPIPE_REQUIRE_GPU=1: a missing GPU fails instead of
# skipping.  For the GPU machine; tests/gpu/run.sh calls it.
test-cuda: all
	@PREFPIPE_REQUIRE_GPU=1 PREFPIPE_BIN=$(abspath $(BIN)) PREFPIPE_BUILD=$(abspath $(BUILD)) \
	  sh tests/run-tests.sh cuda test_cuda_bodies

# Sanitizer reports go to files (log_path), so the reports of tests that
# pass anyway (bats hides their stderr) are shown too; any report fails.
# Open MPI's own leaks are suppressed (tools/lsan-openmpi.supp); processes
# mpirun starts (mca_base_env_list) unwind fully so that the match is exact.
ASAN_LOGS = $(abspath build/asan/reports)
# build/asan/tools and pipelines link to the checkout's, so that scripts
# that find tools/ beside the programs on PATH (a copy of recipe.sh) find
# them beside build/asan/bin as beside bin/.
asan:
	@rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	@ln -sfn ../../tools build/asan/tools && ln -sfn ../../pipelines build/asan/pipelines
	ASAN_OPTIONS="log_path=$(ASAN_LOGS)/asan:$$ASAN_OPTIONS" \
	UBSAN_OPTIONS="print_stacktrace=1:log_path=$(ASAN_LOGS)/ubsan:$$UBSAN_OPTIONS" \
	LSAN_OPTIONS="suppressions=$(abspath tools/lsan-openmpi.supp):print_suppressions=0:$$LSAN_OPTIONS" \
	OMPI_MCA_mca_base_env_list="ASAN_OPTIONS=log_path=$(ASAN_LOGS)/asan:fast_unwind_on_malloc=0:$$ASAN_OPTIONS" \
	$(MAKE) BUILD=build/asan BIN=build/asan/bin OPT=-O1 \
	  XCFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  XLDFLAGS="-fsanitize=address,undefined" test; rc=$$?; \
	if [ -n "$$(ls -A $(ASAN_LOGS))" ]; then \
	  cat $(ASAN_LOGS)/*; echo "asan: sanitizer reports in $(ASAN_LOGS) (above)"; exit 1; fi; \
	exit $$rc

# libFuzzer targets (tests/fuzz/*.c) with clang; `make fuzz-run` runs each
# for FUZZ_SECONDS, starting from the committed seeds in
# tests/fuzz/corpus/NAME (read only) and growing build/fuzz/corpus-NAME.
# A release check (README): make fuzz-run FUZZ_SECONDS=300 finds nothing.
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION shrinks the read buffers (io/)
# so that small inputs reach the refill paths.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*.c))

fuzz:
	$(MAKE) CC=clang BUILD=build/fuzzbuild BIN=build/fuzzbuild/bin OPT=-O1 \
	  XCFLAGS="-fsanitize=fuzzer-no-link,address -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" \
	  XLDFLAGS="-fsanitize=address" fuzz-targets

fuzz-targets: $(FUZZ_TARGETS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_A) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_A) $(LDLIBS)

fuzz-run: fuzz
	@for t in build/fuzzbuild/fuzz/*; do \
	  mkdir -p build/fuzz/corpus-$$(basename $$t); \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  $$t -artifact_prefix=build/fuzz/ -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
	    build/fuzz/corpus-$$(basename $$t) tests/fuzz/corpus/$$(basename $$t) || exit 1; \
	done

# the benchmark files (GSM8K, BBH, ...) from upstream, each checked against
# tools/data.sha256, into PREFPIPE_DATA (default data/ in the clone)
data:
	@sh tools/fetch-data.sh $(PREFPIPE_DATA)

bench: all
	@PREFPIPE_BIN=$(abspath $(BIN)) sh tests/bench/run.sh $(BENCH)

# the link flags of this build, for scripts that link a driver against
# build/libprefpipe.a (tests/bench/model.sh)
print-ldlibs:
	@echo $(LDLIBS)

# ---- parity with other implementations (needs Node and npm; not in test) ----
parity: all
	@sh tests/parity/run.sh $(abspath $(BIN)) $(abspath $(BUILD))

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
	  $(DESTDIR)$(PREFIX)/share/prefpipe/schemas $(DESTDIR)$(PREFIX)/share/prefpipe/pipelines \
	  $(DESTDIR)$(PREFIX)/share/prefpipe/tools
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(wildcard man/man1/*.1) $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(wildcard man/man5/*.5) $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 644 $(wildcard man/man7/*.7) $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 $(SCHEMAS) $(DESTDIR)$(PREFIX)/share/prefpipe/schemas
	$(if $(wildcard pipelines/*),install -m 755 $(wildcard pipelines/*) $(DESTDIR)$(PREFIX)/share/prefpipe/pipelines)
	install -m 644 $(wildcard tools/*.gp tools/*.jq) $(DESTDIR)$(PREFIX)/share/prefpipe/tools

clean:
	rm -rf $(BUILD) $(BIN)

.PHONY: all deps check-layers test test-cuda asan fuzz fuzz-targets fuzz-run bench print-ldlibs data parity install clean
.SECONDARY:
