# End-to-end tests: the mitmwatch binary on real captures.
# ../shared/corpus sits beside the checkout (see README); CI has it too.
set(MW_SHARED_DIR "${CMAKE_SOURCE_DIR}/../shared" CACHE PATH
    "Read-only shared material (corpus/, rules-data/)")
find_program(PYTHON3 python3 REQUIRED)

add_test(NAME e2e_cli
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_cli.py
          $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap)

# Every capture of the corpus: no crash, hang or sanitizer report.
add_test(NAME e2e_corpus
  COMMAND ${CMAKE_SOURCE_DIR}/tests/e2e/corpus.sh
          $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap)
set_tests_properties(e2e_corpus PROPERTIES TIMEOUT 1800)

# docs/counters.md is generated from src/common/stats.h: keep it current.
add_test(NAME docs_counters
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/gen-counters-doc.py --check
          ${CMAKE_SOURCE_DIR}/src/common/stats.h ${CMAKE_SOURCE_DIR}/docs/counters.md
          ${CMAKE_SOURCE_DIR}/docs/schema/stats.schema.json)

# Differential test against tshark: SNI and chain hashes of every session
# in the corpus (exceptions, each with its reason, in the script).
find_program(TSHARK tshark)
if(TSHARK)
  add_test(NAME e2e_tshark_diff
    COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/tshark_diff.py
            $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap)
  set_tests_properties(e2e_tshark_diff PROPERTIES TIMEOUT 1200)
else()
  message(WARNING "tshark not found: e2e_tshark_diff will fail; run tools/install-deps.sh")
  add_test(NAME e2e_tshark_diff COMMAND false)
endif()

# Verdicts against the generator's ground truth, and no "intercepted" on
# the real corpus with the built-in rules (docs/detection.md).
add_test(NAME e2e_detection
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_detection.py
          $<TARGET_FILE:mitmwatch> ${CMAKE_SOURCE_DIR}/samples
          ${MW_SHARED_DIR}/corpus/ndpi/pcap)
set_tests_properties(e2e_detection PROPERTIES TIMEOUT 600)

# Further end-to-end tests, one file per feature (summary, report, merge,
# forensic output, baseline store).
file(GLOB MW_E2E_EXTRA ${CMAKE_SOURCE_DIR}/tests/e2e/cmake/*.cmake)
foreach(f ${MW_E2E_EXTRA})
  include(${f})
endforeach()

# Adversarial traffic (issue 13): floods, unfinished handshakes, disorder,
# huge chains and certificates, deep tunnels, edge-length records. Each
# case generates its capture into the build directory, then checks no
# crash, the peak RSS bound and the counters (tests/adversarial/run.py;
# the bounds and measured values are in docs/security.md).
set(MW_ADVERSARIAL_CASES synflood synflood_default hellos ooo ooo_memcap chain bigcert
    tunnels records)
set(MW_ADV_FLAGS "")
if(MW_SANITIZE)
  set(MW_ADV_FLAGS "--sanitized")
endif()
foreach(case ${MW_ADVERSARIAL_CASES})
  add_test(NAME adversarial_${case}
    COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/adversarial/run.py
            $<TARGET_FILE:mitmwatch> ${CMAKE_BINARY_DIR}/adversarial ${case} ${MW_ADV_FLAGS})
  set_tests_properties(adversarial_${case} PROPERTIES LABELS adversarial TIMEOUT 300)
endforeach()

# Reader errors name the byte where a cut capture ends (issue 13).
add_test(NAME e2e_damage_offsets
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_damage_offsets.py
          $<TARGET_FILE:mitmwatch> ${MW_SHARED_DIR}/corpus/ndpi/pcap)
