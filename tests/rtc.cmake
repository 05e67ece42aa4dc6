# The CMOS RTC at exact virtual times (src/pc/dev_rtc.c; tests/test_rtc.c).
tdpsim_test(test_rtc SOURCES test_rtc.c)
