# report.html in headless Chromium (docs/report.md): the page rendered from
# the fixture by test_report_html --render loads without console errors or
# network requests, and its numbers match summary.json. Needs chromium,
# chromium-driver and python3-selenium (tools/install-deps.sh); the script
# fails, never skips, without them.
if(TARGET test_report_html)
  add_test(NAME e2e_report_html
    COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_report_html.py
            --summary ${CMAKE_SOURCE_DIR}/tests/data/summary/report-fixture.json
            --render-with $<TARGET_FILE:test_report_html>)
  set_tests_properties(e2e_report_html PROPERTIES TIMEOUT 300)
endif()

# The same on a real run over the bundled samples (labelled by client
# network like the quick start), so the page users open is what is tested.
add_test(NAME e2e_report_html_samples
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/e2e/test_report_html.py
          --run $<TARGET_FILE:mitmwatch>
          --trust-extra ${CMAKE_SOURCE_DIR}/samples/trust-store.pem --bucket 1d
          --vantage-net kz-almaty=10.20.0.0/16
          --vantage-net kz-astana-v6=2001:db8:4b5a::/48
          --vantage-net kz-other-isp=172.20.0.0/16
          ${CMAKE_SOURCE_DIR}/samples)
set_tests_properties(e2e_report_html_samples PROPERTIES TIMEOUT 300)
