# TLBs, paging-structure caches and the invalidation rules (src/paging/tlb.c,
# pwc.c, src/timing/model_event.c).
tdpsim_test(test_tlb SOURCES test_tlb.c)
