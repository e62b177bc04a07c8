"""The pages that are not ours, Swagger UI and Django admin, work under the enforced
Content-Security-Policy; the conftest's watcher fails any browser test that meets a
violation, and is shown here to catch one."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_lists_every_operation_and_runs_one(live_server, browser, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    operations = sum(len(methods & set(item)) for item in schema["paths"].values())
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".opblock")).to_have_count(operations)
    # "Try it out" on the health check: Swagger UI's own request under connect-src 'self'.
    health = page.locator(".opblock", has=page.locator("[data-path='/api/health']"))
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    status = health.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200")


def test_django_admin_logs_in_and_its_widgets_work(live_server, browser, admin_user):
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/usage/modelprice/add/")
    # The date shortcuts are admin JavaScript (static/admin/js), wired without inline code.
    page.get_by_role("link", name="Today").first.click()
    assert page.locator("input.vDateField").first.input_value() != ""
    page.goto(f"{live_server.url}/admin/usage/usageevent/")
    expect(page.get_by_role("heading", name="Select usage event to view")).to_be_visible()


def test_the_watcher_catches_an_inline_script_the_policy_blocks(
    live_server, browser, csp_violations
):
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login")
    ran = page.evaluate("""() => {
        window.ran = false;
        const script = document.createElement("script");
        script.textContent = "window.ran = true";
        document.body.append(script);
        return window.ran;
    }""")
    assert ran is False
    page.wait_for_timeout(200)  # the violation event is dispatched asynchronously
    assert len(csp_violations) == 2  # Chromium's own line and the violation event's
    assert all("Content Security Policy" in line for line in csp_violations)
    csp_violations.clear()  # seen; the teardown check would otherwise fail this test
