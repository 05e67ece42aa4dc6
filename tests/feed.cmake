# test_feed: the feed seam on the live CPU (the start state as an event).
tdpsim_test(test_feed SOURCES test_feed.c TIMEOUT 60)
