// archive-qa's page script. A citation link [n] opens its document in the source viewer with the
// quoted span highlighted and scrolled into view. The document comes from GET /api/documents/{id},
// the same text the citation's offsets index into, so what is highlighted is text[start:end].
(() => {
  // #aqa/<n>/<start>/<end>/<id>; n is "r1", "r2" ... for a refusal's related passages.
  const LINK = /#aqa\/(r?\d+)\/(\d+)\/(\d+)\/(.+)$/;

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function apiBase(link) {
    // The app's root, where /api is: the page's own (served at / or /embed/), or, inside a
    // <gradio-app src="..."> web component on another site, the component's.
    const component = link.closest("gradio-app[src]");
    const page = component ? new URL(component.getAttribute("src"), window.location.href) : window.location;
    return page.origin + page.pathname.replace(/\/embed\/?.*$/, "/").replace(/[^/]*$/, "");
  }

  async function fetchDocument(id, base) {
    // Fetched every time, not kept: a document may have been updated since it was last shown.
    const response = await fetch(`${base}api/documents/${encodeURIComponent(id)}`);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Inside an iframe without clipboard permission: copy through a selected text area.
      const area = element("textarea", { "aria-hidden": "true", class: "aqa-offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  }

  function copyable(heading, text, buttonLabel) {
    const button = element("button", { type: "button", class: "aqa-copy" }, buttonLabel);
    button.addEventListener("click", () => copy(text, button));
    return element("div", { class: "aqa-copyable" },
      element("h4", {}, heading), element("p", {}, text), button);
  }

  function card(doc, n) {
    const facts = [doc.date_display, doc.original_language && `Original language: ${doc.original_language}`];
    const parts = [
      element("p", { class: "aqa-kicker" },
        String(n).startsWith("r") ? `Related passage (${n.slice(1)}), not an answer` : `Source [${n}]`),
      element("h3", { class: "aqa-title" }, doc.title),
      element("p", { class: "aqa-facts" }, facts.filter(Boolean).join(" · ")),
    ];
    if (doc.citation) parts.push(copyable("Archival citation", doc.citation, "Copy citation"));
    const more = element("div", { class: "aqa-more" });
    more.append(element("details", { class: "aqa-chicago" },
      element("summary", {}, "Cite this (Chicago)"),
      copyable("Note", doc.cite_note, "Copy note"),
      copyable("Bibliography", doc.cite_bibliography, "Copy bibliography")));
    if (doc.summary) {
      more.append(element("details", { class: "aqa-summary" },
        element("summary", {}, "Summary"), element("p", {}, doc.summary)));
    }
    if (doc.url) {
      more.append(element("a", { href: doc.url, target: "_blank", rel: "noopener",
        class: "aqa-archive-link" }, "Open in the archive ↗"));
    }
    parts.push(more);
    return element("article", { class: "aqa-card" }, ...parts);
  }

  async function show(cite, link) {
    // The viewer beside the link: each tab (Ask, Study) has its own.
    const panel = link.closest(".tabitem, [role=tabpanel]");
    const viewer = (panel && panel.querySelector(".aqa-viewer-body"))
      || document.querySelector(".aqa-viewer-body");
    if (!viewer) return;
    const fail = (message) => {
      viewer.replaceChildren(element("p", { class: "aqa-error", role: "alert" }, message));
      viewer.removeAttribute("aria-busy");
    };
    viewer.setAttribute("aria-busy", "true");
    let doc;
    try {
      doc = await fetchDocument(cite.id, apiBase(link));
    } catch (error) {
      return fail(`Could not open the document: ${error.message}`);
    }
    document.querySelectorAll("#aqa-mark").forEach((old) => old.removeAttribute("id"));
    // The link's title is the quote it stands for; if the stored text no longer has it at these
    // offsets (the document was replaced after the answer), say so rather than mark other words.
    const quoted = doc.text.slice(cite.start, cite.end);
    const expected = (link.getAttribute("title") || "").replace(/^“|”$/g, "");
    if (expected && quoted.trim().split(/\s+/).join(" ") !== expected) {
      return fail("This document has changed since the answer was given: ask again to cite it.");
    }
    const mark = element("mark", { id: "aqa-mark", "data-n": String(cite.n), tabindex: "-1" },
      quoted);
    const text = element("div", { class: "aqa-doc-text", tabindex: "0", role: "region",
      "aria-label": `Full text of ${doc.title}` },
      doc.text.slice(0, cite.start), mark, doc.text.slice(cite.end));
    viewer.replaceChildren(card(doc, cite.n), text);
    viewer.removeAttribute("aria-busy");
    // Scroll the quote to the middle of the text box, and the viewer into sight when it sits
    // below the chat (narrow screens), without jumping the page on wide ones.
    text.scrollTop = mark.offsetTop - text.clientHeight / 3;
    const seen = mark.getBoundingClientRect();
    if (seen.top < 0 || seen.bottom > window.innerHeight) mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.aqa-cite");
    const found = link && LINK.exec(link.getAttribute("href") || "");
    if (!found) return;
    event.preventDefault();
    show({ n: found[1], start: +found[2], end: +found[3], id: decodeURIComponent(found[4]) }, link);
  });
})();
