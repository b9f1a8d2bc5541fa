"""Confluence's storage format read as the Markdown a person would have written (pure conversion, no server)."""
from __future__ import annotations

from knowledge.sources.confluence_storage import storage_to_markdown


def test_headings_paragraphs_and_tables_keep_their_shape() -> None:
    markdown = storage_to_markdown(
        "<h1>Leave</h1><p>Everyone gets <strong>25 days</strong>&nbsp;a year, snake_case kept.</p><h2>By grade</h2>"
        "<table><colgroup><col/></colgroup><tbody><tr><th><p>Grade</p></th><th><p>Days</p></th></tr>"
        "<tr><td><p>Junior | trainee</p></td><td><p>25</p></td></tr></tbody></table>")
    assert markdown == ("# Leave\n\nEveryone gets **25 days** a year, snake_case kept.\n\n## By grade\n\n"
                        "| Grade | Days |\n| --- | --- |\n| Junior \\| trainee | 25 |")


def test_a_code_macro_becomes_a_fenced_block_in_its_language() -> None:
    markdown = storage_to_markdown(
        '<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter ac:name="language">python'
        '</ac:parameter><ac:plain-text-body><![CDATA[if a < b:\n    print("<p>")]]></ac:plain-text-body>'
        '</ac:structured-macro>')
    assert markdown == '```python\nif a < b:\n    print("<p>")\n```'


def test_panels_say_what_they_are_and_expand_sections_keep_their_title() -> None:
    markdown = storage_to_markdown(
        '<ac:structured-macro ac:name="warning"><ac:parameter ac:name="title">Before you travel</ac:parameter>'
        '<ac:rich-text-body><p>Tell security.</p></ac:rich-text-body></ac:structured-macro>'
        '<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Details</ac:parameter>'
        '<ac:rich-text-body><p>Hidden until opened.</p><ac:structured-macro ac:name="note"><ac:rich-text-body>'
        '<p>Nested note.</p></ac:rich-text-body></ac:structured-macro></ac:rich-text-body></ac:structured-macro>')
    assert markdown == ("> **Warning: Before you travel**\n>\n> Tell security.\n\n**Details**\n\n"
                        "Hidden until opened.\n\n> **Note**\n>\n> Nested note.")


def test_links_statuses_dates_and_tasks_read_as_words() -> None:
    markdown = storage_to_markdown(
        '<p>See <ac:link><ri:page ri:content-title="Parking"/><ac:plain-text-link-body><![CDATA[the parking rules]]>'
        '</ac:plain-text-link-body></ac:link>, <ac:link><ri:page ri:content-title="VPN"/></ac:link> and '
        '<ac:link><ri:attachment ri:filename="map.pdf"/></ac:link>. Ask <ac:link><ri:user ri:account-id="5b10"/>'
        '</ac:link>. <ac:structured-macro ac:name="status"><ac:parameter ac:name="title">APPROVED</ac:parameter>'
        '</ac:structured-macro> on <time datetime="2025-03-01"/>.</p>'
        '<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status>'
        '<ac:task-body>Book a desk</ac:task-body></ac:task><ac:task><ac:task-id>2</ac:task-id>'
        '<ac:task-status>incomplete</ac:task-status><ac:task-body>Order a badge</ac:task-body></ac:task>'
        '</ac:task-list>')
    assert markdown == ("See the parking rules, VPN and map.pdf. Ask. APPROVED on 2025-03-01.\n\n"
                        "- [x] Book a desk\n- [ ] Order a badge")


def test_macros_that_only_show_other_content_and_images_are_dropped() -> None:
    markdown = storage_to_markdown(
        '<ac:structured-macro ac:name="toc"><ac:parameter ac:name="maxLevel">2</ac:parameter></ac:structured-macro>'
        '<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell><p>Left column.</p></ac:layout-cell>'
        '<ac:layout-cell><p>Right column.<ac:image><ri:attachment ri:filename="chart.png"/></ac:image></p>'
        '</ac:layout-cell></ac:layout-section></ac:layout>'
        '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">HR-12</ac:parameter></ac:structured-macro>'
        '<ac:structured-macro ac:name="excerpt"><ac:rich-text-body><p>Kept excerpt.</p></ac:rich-text-body>'
        '</ac:structured-macro>')
    assert markdown == "Left column.\n\nRight column.\n\nKept excerpt."


def test_a_page_of_macros_alone_has_no_text() -> None:
    assert storage_to_markdown('<ac:structured-macro ac:name="children"/><p> </p>') == ""
