# The permission matrix (tests (b) and (c)): the engine against Unicorn in its
# own-MMU mode (QEMU's walker) and against an SDM transcription. One CTest
# entry per guest mode so that they run in parallel; test_perm_matrix itself
# runs the self-check (oracle vectors worked by hand, harness start-up).
tdpsim_test(test_perm_matrix
  SOURCES test_perm_matrix.c ref/ucref.c ref/spec_oracle.c
  ARGS --selfcheck
  LABELS perm
  TIMEOUT 120)
target_link_libraries(test_perm_matrix PRIVATE PkgConfig::UNICORN)
foreach(mode 2level 2level-pse pae 4level 5level)
  tdpsim_test(test_perm_matrix_${mode} PROGRAM test_perm_matrix ARGS ${mode}
    LABELS perm TIMEOUT 900)
endforeach()
