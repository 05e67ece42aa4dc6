# `tdpsim compare --html` rendered by headless Chromium (Debian's
# `chromium`, installed by scripts/setup.sh); the screenshot is decoded and
# checked: charts drawn, tables readable. Label "chromium" (README).
find_program(PYTHON3 python3 REQUIRED)
tdpsim_test(test_compare_html PROGRAM ${PYTHON3}
            ARGS ${CMAKE_CURRENT_SOURCE_DIR}/test_compare_html.py $<TARGET_FILE:tdpsim>
            LABELS chromium TIMEOUT 300)
