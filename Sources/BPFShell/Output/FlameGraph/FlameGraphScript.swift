/// The style sheet and script every flame graph carries, so the SVG is interactive when opened
/// directly in a browser. They are constants: nothing from the profile is ever spliced into them
/// (names live only in XML-escaped <title>s, settings in attributes of the root element), so a
/// frame named `</script>` or `"; alert(1)` is just text.
enum FlameGraphScript {
    static let style = """
    text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}
    #title{font-size:17px;text-anchor:middle}
    #subtitle{text-anchor:middle;fill:#555}
    #search,#matched{text-anchor:end}
    #note{fill:#777}
    .button{cursor:pointer}
    .button:hover{fill:#00c}
    #frames g{cursor:pointer}
    #frames g:hover rect{stroke:#000;stroke-width:.5}
    #frames text{pointer-events:none}
    #frames .m rect{fill:#e03ce0}
    .fade{opacity:.5}
    .hide{display:none}
    """

    /// How the page works (all state is also in the DOM, for tests and bookmarks):
    /// - frames are the <g> children of #frames in depth-first order (a frame's descendants follow it);
    ///   a frame's depth is its rect's distance from data-base in rows of data-row pixels;
    /// - URL query: s=REGEX searches; f=NAME;NAME;… (each name percent-encoded, ';' between them,
    ///   root's children first) zooms to that frame path; x=X&y=Y zooms to the frame under that point;
    ///   h=X,Y shows the details of the frame under that point, as hovering does;
    /// - search marks frames with class "m" and writes into #matched its text ("Matched: 12.3%") and
    ///   data-samples / data-percent; zoom marks the frame with data-zoomed, its ancestors with class
    ///   "fade" and unrelated frames with "hide"; the root gets data-search / data-zoom, and data-ready
    ///   once the script has run.
    static let script = #"""
    "use strict";
    (function () {
      var svg = document.documentElement;
      var attr = function (name) { return svg.getAttribute(name); };
      var width = +attr("width"), pad = +attr("data-pad"), row = +attr("data-row"), base = +attr("data-base");
      var charWidth = +attr("data-char-width"), total = +attr("data-total"), countName = attr("data-count-name");
      var full = width - 2 * pad;
      var titlePattern = new RegExp("^([\\s\\S]*) \\(([\\d,]+) " + countName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") +
                                    ", [\\d.]+%(?:;[\\s\\S]*)?\\)$");
      var frames = [], names = [], counts = [], xs = [], widths = [], ys = [], depths = [], parents = [], ends = [];
      var zoomed = 0, searched = null;
      var details, matched, unzoomButton, searchButton;

      function byId(id) { return document.getElementById(id); }
      function rectOf(i) { return frames[i].getElementsByTagName("rect")[0]; }
      function format(value) { return String(Math.round(value * 10) / 10); }

      function init() {
        details = byId("details"); matched = byId("matched");
        unzoomButton = byId("unzoom"); searchButton = byId("search");
        var groups = byId("frames").children, open = [];
        for (var i = 0; i < groups.length; i++) {
          var group = groups[i], rect = group.getElementsByTagName("rect")[0];
          var title = group.getElementsByTagName("title")[0].textContent, parsed = titlePattern.exec(title);
          frames.push(group);
          group.frameIndex = i;
          names.push(parsed ? parsed[1] : title);
          counts.push(parsed ? +parsed[2].replace(/,/g, "") : 0);
          xs.push(+rect.getAttribute("x")); widths.push(+rect.getAttribute("width")); ys.push(+rect.getAttribute("y"));
          depths.push(Math.round(Math.abs(ys[i] - base) / row));
          while (open.length && depths[open[open.length - 1]] >= depths[i]) { ends[open.pop()] = i; }
          parents.push(open.length ? open[open.length - 1] : -1);
          open.push(i);
        }
        while (open.length) { ends[open.pop()] = frames.length; }

        var container = byId("frames");
        container.addEventListener("mouseover", function (event) {
          var i = frameOf(event.target);
          if (i >= 0) { details.textContent = "Function: " + frames[i].getElementsByTagName("title")[0].textContent; }
        });
        container.addEventListener("mouseout", function (event) {
          if (frameOf(event.target) >= 0) { details.textContent = " "; }
        });
        container.addEventListener("click", function (event) {
          var i = frameOf(event.target);
          if (i >= 0) { zoom(i); remember(); }
        });
        unzoomButton.addEventListener("click", function () { unzoom(); remember(); });
        searchButton.addEventListener("click", function () {
          if (searched !== null) { clearSearch(); remember(); } else { askForSearch(); }
        });
        window.addEventListener("keydown", function (event) {
          if ((event.ctrlKey || event.metaKey) && (event.key === "f" || event.key === "F")) {
            event.preventDefault();
            askForSearch();
          } else if (event.key === "Escape") {
            clearSearch(); unzoom(); remember();
          }
        });
        applyQuery();
        svg.setAttribute("data-ready", "1");
      }

      function frameOf(element) {
        while (element && element !== svg) {
          if (element.frameIndex !== undefined) { return element.frameIndex; }
          element = element.parentNode;
        }
        return -1;
      }

      function frameAt(x, y) {
        for (var i = frames.length - 1; i >= 0; i--) {
          if (x >= xs[i] && x < xs[i] + widths[i] && y >= ys[i] && y < ys[i] + row) { return i; }
        }
        return -1;
      }

      function label(name, space) {
        var fits = Math.floor((space - 6) / charWidth);
        if (fits < 3) { return ""; }
        return name.length <= fits ? name : name.slice(0, fits - 2) + "..";
      }

      function place(i, x, w) {
        var rect = rectOf(i), text = frames[i].getElementsByTagName("text")[0];
        rect.setAttribute("x", format(x));
        rect.setAttribute("width", format(w));
        var shown = label(names[i], w);
        if (!text && shown === "") { return; }
        if (!text) {
          text = document.createElementNS("http://www.w3.org/2000/svg", "text");
          text.setAttribute("y", String(ys[i] + 11));
          frames[i].appendChild(text);
        }
        text.setAttribute("x", format(x + 3));
        text.textContent = shown;
      }

      function zoom(target) {
        if (target <= 0) { unzoom(); return; }
        var left = xs[target], scale = full / widths[target], last = ends[target];
        for (var i = 0; i < frames.length; i++) {
          var group = frames[i];
          group.removeAttribute("data-zoomed");
          if (i >= target && i < last) {
            group.classList.remove("hide", "fade");
            place(i, pad + (xs[i] - left) * scale, widths[i] * scale);
          } else if (i < target && ends[i] > target) {
            group.classList.remove("hide");
            group.classList.add("fade");
            place(i, pad, full);
          } else {
            group.classList.add("hide");
          }
        }
        frames[target].setAttribute("data-zoomed", "1");
        zoomed = target;
        unzoomButton.classList.remove("hide");
        svg.setAttribute("data-zoom", path(target).join(";"));
      }

      function unzoom() {
        if (zoomed === 0) { return; }
        for (var i = 0; i < frames.length; i++) {
          frames[i].classList.remove("hide", "fade");
          frames[i].removeAttribute("data-zoomed");
          place(i, xs[i], widths[i]);
        }
        zoomed = 0;
        unzoomButton.classList.add("hide");
        svg.removeAttribute("data-zoom");
      }

      function path(i) {
        var names_ = [];
        for (; i > 0; i = parents[i]) { names_.unshift(names[i]); }
        return names_;
      }

      function zoomToPath(wanted) {
        var at = 0;
        for (var step = 0; step < wanted.length; step++) {
          var found = -1;
          for (var i = at + 1; i < ends[at]; i = ends[i]) {
            if (names[i] === wanted[step]) { found = i; break; }
          }
          if (found < 0) { svg.setAttribute("data-zoom-missing", wanted[step]); break; }
          at = found;
        }
        zoom(at);
      }

      function search(pattern) {
        var expression;
        try { expression = new RegExp(pattern); } catch (error) {
          details.textContent = "Invalid regular expression: " + error.message;
          return;
        }
        // A match inside a matched frame's subtree is already counted: add each subtree once.
        var samples = 0, countedUntil = 0;
        for (var i = 1; i < frames.length; i++) {
          var hit = expression.test(names[i]);
          frames[i].classList.toggle("m", hit);
          if (hit && i >= countedUntil) { samples += counts[i]; countedUntil = ends[i]; }
        }
        var percent = total > 0 ? 100 * samples / total : 0;
        matched.textContent = "Matched: " + percent.toFixed(1) + "%";
        matched.setAttribute("data-samples", String(samples));
        matched.setAttribute("data-percent", String(percent));
        searched = pattern;
        searchButton.textContent = "Reset Search";
        svg.setAttribute("data-search", pattern);
      }

      function clearSearch() {
        for (var i = 0; i < frames.length; i++) { frames[i].classList.remove("m"); }
        matched.textContent = " ";
        matched.removeAttribute("data-samples");
        matched.removeAttribute("data-percent");
        searched = null;
        searchButton.textContent = "Search";
        svg.removeAttribute("data-search");
      }

      function askForSearch() {
        var pattern = window.prompt("Enter a search term (regexp allowed, eg: ^ext4_)", searched || "");
        if (pattern) { clearSearch(); search(pattern); remember(); }
      }

      function decode(text) {
        try { return decodeURIComponent(text.replace(/\+/g, " ")); } catch (error) { return text; }
      }

      // Values stay percent-encoded until split: f's separator ';' must not be confused with an
      // encoded ';' inside a name.
      function query() {
        var values = {};
        location.search.replace(/^\?/, "").split("&").forEach(function (pair) {
          if (!pair) { return; }
          var at = pair.indexOf("=");
          values[decode(at < 0 ? pair : pair.slice(0, at))] = at < 0 ? "" : pair.slice(at + 1);
        });
        return values;
      }

      function applyQuery() {
        var values = query();
        if (values.f !== undefined) {
          zoomToPath(values.f === "" ? [] : values.f.split(";").map(decode));
        } else if (values.x !== undefined && values.y !== undefined) {
          var target = frameAt(+decode(values.x), +decode(values.y));
          if (target >= 0) { zoom(target); }
        }
        if (values.s !== undefined && values.s !== "") { search(decode(values.s)); }
        if (values.h !== undefined) {
          var point = decode(values.h).split(","), hovered = frameAt(+point[0], +point[1]);
          if (hovered >= 0) { rectOf(hovered).dispatchEvent(new MouseEvent("mouseover", { bubbles: true })); }
        }
      }

      function remember() {
        var parts = [];
        if (zoomed > 0) { parts.push("f=" + path(zoomed).map(encodeURIComponent).join(";")); }
        if (searched !== null) { parts.push("s=" + encodeURIComponent(searched)); }
        try {
          history.replaceState(null, "", location.pathname + (parts.length ? "?" + parts.join("&") : ""));
        } catch (error) { /* file: URLs may refuse; the state is still in the DOM */ }
      }

      if (document.readyState === "loading") {
        window.addEventListener("DOMContentLoaded", init);
      } else {
        init();
      }
    })();
    """#
}
