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
      element("h3", { class: "aqa-title", dir: "auto" }, doc.title),
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

  // The document's text as a reader sees it: the record's labels (**Citation:**) as labels and
  // its bold markup hidden, the parts its editors or the archive wrote set apart from its own,
  // and footnote markers linked to their notes. Only characters outside the quote are hidden or
  // restyled, so the mark's text is text[start:end] exactly, asterisks and all.
  const LABEL = /\*\*([^*\n]+?)\*\*/g;
  const MARKER = /\[(\d{1,3})\]/g;
  const NOTE = /^\[(\d{1,3})\]/;
  const SAID_APART = new Set(["editors", "summary"]);
  let renderings = 0;

  function blocksOf(doc, quote) {
    // A block per section, holding the labels before it. The blocks a quote runs across are
    // joined, so that one mark holds all of it.
    const sections = (doc.sections || []).filter((s) => s.start < s.end)
      .sort((a, b) => a.start - b.start);
    const blocks = [];
    for (const section of sections) {
      const from = blocks.length ? blocks[blocks.length - 1].end : 0;
      if (section.start >= from) {
        blocks.push({ start: from, end: section.end, sections: [section] });
      }
    }
    if (!blocks.length) return [{ start: 0, end: doc.text.length, sections: [] }];
    blocks[blocks.length - 1].end = doc.text.length;
    const holding = (at) => blocks.findIndex((b) => b.start <= at && at < b.end);
    const [first, last] = [holding(quote.start), holding(quote.end - 1)];
    if (first >= 0 && last > first) {
      const joined = blocks.splice(first, last - first + 1);
      blocks.splice(first, 0, { start: joined[0].start, end: joined[joined.length - 1].end,
        sections: joined.flatMap((b) => b.sections) });
    }
    return blocks;
  }

  function notesOf(text, sections) {
    // The editors' footnotes by number: where each line "[n] ..." of theirs starts and ends.
    const notes = new Map();
    for (const section of sections.filter((s) => s.part === "editors")) {
      let at = section.start;
      for (const line of text.slice(section.start, section.end).split("\n")) {
        const found = NOTE.exec(line);
        if (found && !notes.has(found[1])) {
          const said = line.slice(found[0].length).trim();
          notes.set(found[1], { start: at, end: at + line.length, text: said });
        }
        at += line.length + 1;
      }
    }
    return notes;
  }

  function scrollWithin(box, target) {
    // Into the upper third of the text box, which scrolls by itself, without moving the page.
    const [outer, inner] = [box.getBoundingClientRect(), target.getBoundingClientRect()];
    box.scrollTop += inner.top - outer.top - box.clientHeight / 3;
  }

  function documentText(doc, cite) {
    const text = doc.text;
    const quote = { start: cite.start, end: cite.end };
    const outside = (a, b) => b <= quote.start || a >= quote.end;
    const id = `aqa-v${++renderings}`;
    const box = element("div", { class: "aqa-doc-text", tabindex: "0", role: "region",
      "aria-label": `Full text of ${doc.title}` });
    const notes = notesOf(text, doc.sections || []);
    const markers = new Map();  // a note's number -> the id of the first marker that cites it
    let mark = null;

    // Append text[a:b) to `parent` through `plain`, the quote's part of it inside the mark.
    function write(parent, a, b, plain) {
      if (outside(a, b)) return plain(parent, a, b);
      if (a < quote.start) plain(parent, a, quote.start);
      if (!mark) {
        mark = element("mark", { id: "aqa-mark", "data-n": String(cite.n), tabindex: "-1" });
        parent.append(mark);
      }
      plain(mark, Math.max(a, quote.start), Math.min(b, quote.end));
      if (b > quote.end) plain(parent, quote.end, b);
    }
    const asIs = (parent, a, b) => { if (b > a) parent.append(text.slice(a, b)); };

    function withMarkers(parent, a, b) {
      // The document's own text, each "[n]" with a note of that number a link to the note.
      let at = a;
      for (const found of text.slice(a, b).matchAll(MARKER)) {
        const note = notes.get(found[1]);
        if (!note) continue;
        const start = a + found.index;
        asIs(parent, at, start);
        const ref = `${id}-ref-${found[1]}-${start}`;
        if (!markers.has(found[1])) markers.set(found[1], ref);
        const link = element("a", { class: "aqa-fn", id: ref, href: `#${id}-note-${found[1]}`,
          "aria-label": `Editors' footnote ${found[1]}`, title: note.text }, found[0]);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          const target = box.querySelector(`#${id}-note-${found[1]}`);
          for (const old of box.querySelectorAll(".aqa-note-shown")) {
            old.classList.remove("aqa-note-shown");
          }
          target.classList.add("aqa-note-shown");
          target.dataset.from = ref;
          scrollWithin(box, target);
          target.focus({ preventScroll: true });
        });
        parent.append(link);
        at = start + found[0].length;
      }
      asIs(parent, at, b);
    }

    function editorsNotes(parent, a, b) {
      // A note a line, a target for its markers; one the quote runs out of stays plain text.
      let at = a;
      for (const line of text.slice(a, b).split("\n")) {
        const [start, end] = [at, at + line.length];
        const found = NOTE.exec(line);
        const whole = outside(start, end) || (quote.start >= start && quote.end <= end);
        at = end + 1;
        if (!found || !whole || notes.get(found[1]).start !== start) {
          write(parent, start, Math.min(at, b), asIs);
          continue;
        }
        const note = element("span", { class: "aqa-note", id: `${id}-note-${found[1]}`,
          tabindex: "-1" });
        const numbered = start + found[0].length;
        if (markers.has(found[1]) && outside(start, numbered)) {
          const back = element("a", { class: "aqa-fn-back", href: `#${markers.get(found[1])}`,
            "aria-label": `Back to footnote ${found[1]} in the text` }, found[0]);
          back.addEventListener("click", (event) => {
            event.preventDefault();
            const target = box.querySelector(`#${note.dataset.from || markers.get(found[1])}`);
            note.classList.remove("aqa-note-shown");
            scrollWithin(box, target);
            target.focus({ preventScroll: true });
          });
          note.append(back);
        } else {
          write(note, start, numbered, asIs);
        }
        write(note, numbered, end, asIs);
        parent.append(note);
        if (end < b && !outside(end, end + 1)) write(parent, end, end + 1, asIs);
      }
    }

    function markup(parent, a, b, body) {
      // The labels and asterisks between sections: shown as labels, or hidden, unless quoted.
      let at = a;
      for (const found of text.slice(a, b).matchAll(LABEL)) {
        const start = a + found.index;
        const end = start + found[0].length;
        if (!outside(at, start)) write(parent, at, start, asIs);
        if (!outside(start, end)) {
          write(parent, start, end, asIs);
        } else if (found[1].trim().endsWith(":")) {
          const name = found[1].trim().slice(0, -1).trim();
          const inline = body && !text.slice(end, b).includes("\n");
          parent.append(inline ? element("span", { class: "aqa-label aqa-label-inline" }, name)
            : element("h4", { class: "aqa-label" }, name));
        } else {
          parent.append(element("strong", {}, found[1]));
        }
        at = end;
      }
      if (!outside(at, b)) write(parent, at, b, asIs);
    }

    for (const block of blocksOf(doc, quote)) {
      const only = block.sections.length === 1 ? block.sections[0] : null;
      const apart = only && SAID_APART.has(only.part);
      const speaker = only && only.speaker.charAt(0).toUpperCase() + only.speaker.slice(1);
      const holder = element(apart ? "aside" : "div", {
        class: `aqa-part aqa-part-${only ? only.part : "document"}`,
        "data-section": only ? only.name : "",
        ...(apart ? { "aria-label": speaker } : {}),
      });
      if (apart) {
        holder.append(element("p", { class: "aqa-voice" },
          `${speaker}: not the document's own words`));
      }
      let at = block.start;
      for (const section of block.sections) {
        markup(holder, at, section.start, true);
        if (section.part === "editors") editorsNotes(holder, section.start, section.end);
        else write(holder, section.start, section.end, withMarkers);
        at = section.end;
      }
      if (block.sections.length) markup(holder, at, block.end, false);
      else write(holder, block.start, block.end, withMarkers);
      box.append(holder);
    }
    if (!mark) {
      mark = element("mark", { id: "aqa-mark", "data-n": String(cite.n), tabindex: "-1" });
      box.append(mark);
    }
    return { box, mark };
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
    const { box, mark } = documentText(doc, cite);
    viewer.replaceChildren(card(doc, cite.n), box);
    viewer.removeAttribute("aria-busy");
    // Scroll the quote into the text box, and the viewer into sight when it sits below the chat
    // (narrow screens), without jumping the page on wide ones.
    scrollWithin(box, mark);
    const seen = mark.getBoundingClientRect();
    if (seen.top < 0 || seen.bottom > window.innerHeight) mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }

  // A handout link says which API path it downloads; its address is the app's, found as a
  // citation's is, so that it works on the page, in an iframe and in the web component.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.aqa-handout");
    if (link) link.href = `${apiBase(link)}api/${link.dataset.handout}`;
  }, true);

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.aqa-cite");
    const found = link && LINK.exec(link.getAttribute("href") || "");
    if (!found) return;
    event.preventDefault();
    show({ n: found[1], start: +found[2], end: +found[3], id: decodeURIComponent(found[4]) }, link);
  });
})();
