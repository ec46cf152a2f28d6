# The summary against the events, merge against one run, and the forensic
# outputs (--write-flagged, --certs) and vantage labels.
add_test(NAME e2e_report
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_report.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_report PROPERTIES TIMEOUT 600)
