# CPU models: configs/*.ini load, every key documented, errors name the key.
tdpsim_test(test_config SOURCES test_config.c)
