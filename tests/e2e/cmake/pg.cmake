# The PostgreSQL baseline (--state postgresql://...) against a PostgreSQL 15
# server the test starts; skipped only without the server binaries.
add_test(NAME e2e_pg
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_pg.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_pg PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77)
