# Debian's kernels booted to the initramfs's done marker (tests/test_linux.c,
# docs/linux.md): label `linux`; CI boots test_linux (label `linux-ci`) in
# the Release build and linux_4level_functional (label `linux-asan`) in the
# Sanitize build. Each entry exits 77 (skipped) unless TDPSIM_LINUX=1 is
# set (then a kernel that scripts/fetch-linux.sh has not fetched fails it),
# so the default run on a clean machine skips them:
#   TDPSIM_LINUX=1 ctest --test-dir build -L linux -j2
# A 64-bit timing entry with host none also boots under --model functional: the
# same console, exceptions, instructions and virtual time (test_linux.c).
# 64-bit: 4-level (no5lvl) and 5-level (icelake-sp has LA57) on every host
# dimension, and a KPTI boot; 32-bit: 2-level (686) and PAE (686-pae) on
# none, npt4 and ept4 (their crypto self-tests, 3.7 s of QEMU's time, off).
tdpsim_test(test_linux SOURCES test_linux.c spawn.c
  ARGS linux_4level_none vmlinuz-cloud-amd64 4level none timing no5lvl
  LABELS linux linux-ci TIMEOUT 3600)
set_tests_properties(test_linux PROPERTIES SKIP_RETURN_CODE 77)
add_dependencies(test_linux tdpsim)

function(linux_boot name)
  tdpsim_test(${name} PROGRAM test_linux ARGS ${name} ${ARGN} LABELS linux TIMEOUT 3600)
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()

# The functional boot (no timing model, so no statistics): what CI boots in
# the Sanitize build (label linux-asan, .ci/run).
tdpsim_test(linux_4level_functional PROGRAM test_linux
  ARGS linux_4level_functional vmlinuz-cloud-amd64 4level none functional no5lvl
  LABELS linux linux-asan TIMEOUT 3600)
set_tests_properties(linux_4level_functional PROPERTIES SKIP_RETURN_CODE 77)

foreach(host ept4 ept5 npt4)
  linux_boot(linux_4level_${host} vmlinuz-cloud-amd64 4level ${host} timing no5lvl)
endforeach()
foreach(host none ept4 ept5 npt4)
  linux_boot(linux_5level_${host} vmlinuz-cloud-amd64 5level ${host} timing)
endforeach()
linux_boot(linux_4level_pti vmlinuz-cloud-amd64 4level none timing no5lvl pti=on)
foreach(host none npt4 ept4)
  linux_boot(linux_2level_${host} vmlinuz-686 2level ${host} timing cryptomgr.notests)
  linux_boot(linux_pae_${host} vmlinuz-686-pae pae ${host} timing cryptomgr.notests)
endforeach()

# Both MMUs: each kernel on QEMU's own walker (--mmu reference, functional)
# and on tdpsim's engine (functional), the whole console and every
# exception the same bytes (MODEL reference, tests/test_linux.c).
linux_boot(linux_4level_reference vmlinuz-cloud-amd64 4level none reference no5lvl)
linux_boot(linux_5level_reference vmlinuz-cloud-amd64 5level none reference)
linux_boot(linux_2level_reference vmlinuz-686 2level none reference cryptomgr.notests)
linux_boot(linux_pae_reference vmlinuz-686-pae pae none reference cryptomgr.notests)

# scripts/fetch-linux.sh's failures: one line and exit 2, no network needed
# (tests/test_fetch_linux.c; in the default run).
tdpsim_test(test_fetch_linux SOURCES test_fetch_linux.c spawn.c TIMEOUT 300)
