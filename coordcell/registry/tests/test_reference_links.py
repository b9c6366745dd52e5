"""References in readiness texts link to the list that finds them; the text stays escaped."""

from django.template import Context, Template


def render(text: str) -> str:
    return Template("{% load references %}{{ text|refs }}").render(Context({"text": text}))


def test_each_reference_links_to_the_list_searching_for_it() -> None:
    html = render("S-000012 late for R-000003 (pledge P-000007, cohort CO-000002)")
    assert '<a href="/logistics/?q=S-000012">S-000012</a>' in html
    assert '<a href="/requirements/?q=R-000003">R-000003</a>' in html
    assert '<a href="/pledges/?q=P-000007">P-000007</a>' in html
    assert '<a href="/training/cohorts/?q=CO-000002">CO-000002</a>' in html


def test_the_text_around_a_reference_stays_escaped() -> None:
    html = render('<img src=x> R-000001 & "more"')
    assert "<img" not in html and "&lt;img src=x&gt;" in html and "&amp;" in html
    assert render("") == "" and render("CP-0001 and PD-000001") == "CP-0001 and PD-000001"
