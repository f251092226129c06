// The graph view: cytoscape.js over the nodes and relationships the API answered. Nodes are
// styled by label and by rule (classes "uncovered", "no-private-banking", "masked"), a path
// is highlighted (class "path", the rest "faded"), and a hub expanded a page at a time gets
// a "more" node that loads its next page.

import cytoscape from "/static/cytoscape/cytoscape.esm.min.mjs";
import { keyOf } from "./api.js";

const COLOURS = {
  ENTERPRISE: "#1f77b4", PERSON: "#2ca02c", ACCOUNT: "#ff7f0e", MANAGER: "#9467bd",
};
const SHAPES = { ENTERPRISE: "round-rectangle", ACCOUNT: "diamond", MANAGER: "hexagon" };

const STYLE = [
  { selector: "node", style: {
    label: "data(caption)", "font-size": 10, "min-zoomed-font-size": 7,
    "text-valign": "bottom", "text-margin-y": 3,
    "background-color": (n) => COLOURS[n.data("label")] || "#8c8c8c",
    shape: (n) => SHAPES[n.data("label")] || "ellipse", width: 22, height: 22,
    "border-width": 1, "border-color": "#333",
  } },
  { selector: "node.masked", style: { "background-color": "#ddd", "border-style": "dashed",
    "border-width": 2, "border-color": "#555" } },
  { selector: "node.uncovered", style: { "border-width": 4, "border-color": "#d62728" } },
  { selector: "node.no-private-banking", style: { "border-width": 5,
    "border-style": "double", "border-color": "#b8860b" } },
  { selector: "node.more", style: { shape: "tag", "background-color": "#fff", width: 30,
    "border-color": "#555", "font-style": "italic" } },
  { selector: "node:selected", style: { "overlay-color": "#005fcc", "overlay-opacity": 0.25 } },
  { selector: "edge", style: { width: 1.5, "line-color": "#aaa", "curve-style": "bezier",
    "target-arrow-shape": "triangle", "target-arrow-color": "#aaa", "arrow-scale": 0.7,
    label: "data(type)", "font-size": 7, "min-zoomed-font-size": 7, color: "#777",
    "text-rotation": "autorotate" } },
  { selector: ".faded", style: { opacity: 0.2 } },
  { selector: "node.path", style: { "overlay-color": "#000", "overlay-opacity": 0.15,
    "overlay-padding": 4 } },
  { selector: "edge.path", style: { width: 5, "line-color": "#111",
    "target-arrow-color": "#111" } },
];

function caption(node) {
  if (node.masked) return `${node.id} (masked)`;
  return node.name ? node.name : `${node.label.toLowerCase()} ${node.id}`;
}

function edgeId(rel) {
  return `${rel.type}|${keyOf(rel.start.label, rel.start.id)}|${keyOf(rel.end.label, rel.end.id)}`;
}

export class GraphView {
  /** `onSelect(key)` when a node is picked, `onExpand(key)` on a double-click or "more". */
  constructor(container, { onSelect, onExpand }) {
    // Large views: labels drawn only where readable, edges hidden and the picture reused
    // while panning or zooming (cytoscape.js's performance options).
    this.cy = cytoscape({ container, style: STYLE, minZoom: 0.05,
      maxZoom: 4, hideEdgesOnViewport: true, textureOnViewport: true });
    // The container shrinks when the status line above it wraps: cytoscape.js notices window
    // resizes only, and would place taps off by the difference.
    new ResizeObserver(() => this.cy.resize()).observe(container);
    this.cy.on("tap", "node", (event) => {
      const node = event.target;
      if (node.hasClass("more")) onExpand(node.data("hub"));
      else onSelect(node.id());
    });
    this.cy.on("dbltap", "node", (event) => {
      if (!event.target.hasClass("more")) onExpand(event.target.id());
    });
  }

  clear() {
    this.cy.elements().remove();
  }

  /** Node data by key, as the API answered it (null when not in view). */
  node(key) {
    const found = this.cy.getElementById(key);
    return found.nonempty() && !found.hasClass("more") ? found.data("node") : null;
  }

  /** Every node in view (the "more" nodes aside), in the order they were added. */
  nodes() {
    return this.cy.nodes().not(".more").map((n) => n.data("node"));
  }

  /**
   * Add nodes and relationships; new nodes are placed around `around` (a key in view), else
   * the whole view is laid out again around `root`. Answers the keys of the new nodes.
   */
  add(nodes, relationships, around = null, root = null) {
    const fresh = nodes.filter((n) => this.cy.getElementById(keyOf(n.label, n.id)).empty());
    const origin = around ? this.cy.getElementById(around).position() : null;
    this.cy.batch(() => {
      fresh.forEach((node, i) => {
        const key = keyOf(node.label, node.id);
        const angle = (2 * Math.PI * i) / Math.max(fresh.length, 1);
        const radius = 60 + 6 * Math.sqrt(fresh.length);
        this.cy.add({
          group: "nodes",
          data: { id: key, label: node.label, caption: caption(node), node },
          classes: node.masked ? "masked" : "",
          position: origin ? { x: origin.x + radius * Math.cos(angle),
            y: origin.y + radius * Math.sin(angle) } : undefined,
        });
      });
      for (const rel of relationships) {
        const id = edgeId(rel);
        const source = keyOf(rel.start.label, rel.start.id);
        const target = keyOf(rel.end.label, rel.end.id);
        if (this.cy.getElementById(id).empty() && this.cy.getElementById(source).nonempty()
            && this.cy.getElementById(target).nonempty()) {
          this.cy.add({ group: "edges", data: { id, source, target, type: rel.type } });
        }
      }
    });
    if (!origin) this.layout(root);
    return fresh.map((n) => keyOf(n.label, n.id));
  }

  /** Show "+N more" beside a hub whose next page starts after `after` (none: remove it). */
  more(hub, after, remaining) {
    const id = `more:${hub}`;
    this.cy.getElementById(id).remove();
    if (!after) return;
    const at = this.cy.getElementById(hub).position();
    this.cy.add([
      { group: "nodes", classes: "more", position: { x: at.x + 40, y: at.y - 40 },
        data: { id, hub, caption: `+${remaining} more` } },
      { group: "edges", data: { id: `${id}|edge`, source: hub, target: id, type: "" } },
    ]);
  }

  /**
   * Lay the view out again: force-directed (cose) up to 150 nodes; beyond, rings around
   * `root` (the client), a ring per hop, which takes milliseconds where cose takes seconds.
   */
  layout(root = null) {
    const nodes = this.cy.nodes();
    if (nodes.length <= 150) {
      this.cy.layout({ name: "cose", animate: false, randomize: false,
        nodeRepulsion: () => 6000, idealEdgeLength: () => 60, numIter: 500 }).run();
      return;
    }
    const hops = new Map();
    const start = root && this.cy.getElementById(root).nonempty()
      ? this.cy.getElementById(root) : nodes.max((n) => n.degree()).ele;
    this.cy.elements().breadthFirstSearch({ roots: start,
      visit: (node, edge, previous, i, depth) => { hops.set(node.id(), depth); } });
    const far = Math.max(...hops.values()) + 1;
    this.cy.layout({ name: "concentric", animate: false, minNodeSpacing: 6,
      concentric: (n) => far - (hops.has(n.id()) ? hops.get(n.id()) : far),
      levelWidth: () => 1 }).run();
  }

  /** Mark the nodes of `keys` with `cls` (and no others); how many are marked. */
  mark(cls, keys) {
    this.cy.batch(() => {
      this.cy.nodes(`.${cls}`).removeClass(cls);
      for (const key of keys) this.cy.getElementById(key).addClass(cls);
    });
    return this.cy.nodes(`.${cls}`).length;
  }

  /** Highlight a path (node keys and relationships), fading the rest; null clears it. */
  showPath(path) {
    this.cy.elements().removeClass("path faded");
    if (!path) return;
    const keys = path.nodes.map((n) => keyOf(n.label, n.id));
    const on = this.cy.collection();
    keys.forEach((key) => { on.merge(this.cy.getElementById(key)); });
    path.relationships.forEach((rel) => { on.merge(this.cy.getElementById(edgeId(rel))); });
    on.addClass("path");
    this.cy.elements().not(on).addClass("faded");
  }

  select(key) {
    this.cy.nodes(":selected").unselect();
    const node = this.cy.getElementById(key);
    node.select();
    this.cy.animate({ center: { eles: node }, duration: 0 });
  }

  counts() {
    return { nodes: this.cy.nodes().not(".more").length,
      relationships: this.cy.edges().filter((e) => e.data("type") !== "").length };
  }

  png() {
    return this.cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" });
  }
}
