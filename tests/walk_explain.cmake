# `tdpsim walk` explanations end to end: the rule named for an access-rights
# #PF, the PAE PDPTE load under EPT, --shared, --config (spawns TDPSIM_BIN).
tdpsim_test(test_walk_explain SOURCES test_walk_explain.c spawn.c)
add_dependencies(test_walk_explain tdpsim)
