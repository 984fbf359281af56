"""The practice's terms and privacy pages: built-in text, editable from a file, linked where consent is asked."""

from __future__ import annotations

from tests.functional import intake_steps as steps


def test_terms_and_privacy_pages_show_the_built_in_text_and_are_linked_in_the_footer(client):
    terms = client.get("/terms")
    assert terms.status_code == 200 and "<h1>Terms of service</h1>" in terms.get_data(as_text=True)
    privacy = client.get("/privacy").get_data(as_text=True)
    assert "<h1>Privacy notice</h1>" in privacy and "never by your partner" in privacy
    landing = client.get("/").get_data(as_text=True).split("<footer")[1]
    assert 'href="/terms"' in landing and 'href="/privacy"' in landing


def test_the_practice_edits_the_terms_in_a_file_and_markup_in_it_is_shown_as_text(app, client, tmp_path):
    own = tmp_path / "terms.txt"
    own.write_text("# Our terms\n\nBe kind. <script>alert(1)</script>\n", encoding="utf-8")
    app.config["TERMS_FILE"] = str(own)
    page = client.get("/terms").get_data(as_text=True)
    assert "<h1>Our terms</h1>" in page and "Be kind. &lt;script&gt;" in page and "<script>alert" not in page


def test_the_consent_step_and_registration_link_to_the_terms_and_privacy_pages(app, client, create_user):
    register = client.get("/account/register").get_data(as_text=True).split("<main")[1].split("</main>")[0]
    assert 'href="/terms"' in register and 'href="/privacy"' in register
    a = steps.logged_in(app, create_user())
    steps.post(a, "/intake/start", {}, page="/home")
    consent = a.get("/intake/consent").get_data(as_text=True).split("<main")[1].split("</main>")[0]
    assert 'href="/terms"' in consent and 'href="/privacy"' in consent
