# tools/slurm/ (job array, shared PostgreSQL baseline, dependent merge) on a
# single-node Slurm the test starts; skipped only without the binaries.
add_test(NAME e2e_slurm
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_slurm.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples
          ${CMAKE_SOURCE_DIR}/tools/slurm)
set_tests_properties(e2e_slurm PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
