"""Screenshots of the field app with the demo data, at phone size (360 x 740), for the README.

Start the server with the README's first command (seed_demo, runserver), then:

    .venv/bin/python docs/screenshots/take.py [http://127.0.0.1:8000]

It signs in as alcott.clinician1 in headless Chromium and only looks: it writes nothing
(the backup dialog is opened and cancelled). The offline and refused screens come from the
browser tests (UMCR_SCREENSHOTS=docs/screenshots, tests/browser/test_field_app.py).
"""

import shutil
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent


def main(base: str) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    )
    wait = WebDriverWait(driver, 30)

    def shot(name: str) -> None:
        time.sleep(0.5)
        driver.save_screenshot(str(HERE / f"demo-{name}.png"))

    def show(hash_: str, selector: str) -> None:
        driver.execute_script(f"location.hash = '{hash_}'")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, selector))

    try:
        driver.get(f"{base}/app/")
        wait.until(lambda d: d.find_elements(By.ID, "username"))
        driver.find_element(By.ID, "username").send_keys("alcott.clinician1")
        driver.find_element(By.ID, "password").send_keys("umcr-demo")
        driver.find_element(By.ID, "sign-in").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#open-calls li.call"))
        shot("my-calls")
        on_scene = driver.find_element(
            By.CSS_SELECTOR, '#open-calls li.call[data-status="on_scene"]'
        ).get_attribute("data-id")
        show(f"#/call/{on_scene}", "article.call-detail")
        shot("call")
        driver.execute_script("document.getElementById('timeline-h').scrollIntoView()")
        shot("call-timeline-notes")
        driver.find_element(By.ID, "backup").click()
        shot("backup")
        driver.find_element(By.ID, "backup-cancel").click()
        show(f"#/call/{on_scene}/outcome", "#disposition")
        shot("outcome")
        show("#/services", "#services li")
        shot("services")
    finally:
        driver.quit()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
