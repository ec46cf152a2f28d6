# Loud failures (issue 13, findings 1-5): state file, unreadable directory
# entries, outputs checked before reading, exit statuses.
add_test(NAME e2e_harden
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_harden.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_harden PROPERTIES TIMEOUT 300)
