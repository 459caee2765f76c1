/**
 * Vega-Lite spec builders for the report's few plot kinds (heat maps, lines with intervals,
 * scatter, bars). Field names are those of the figure's rows.
 */

type Spec = Record<string, unknown>;

export interface FacetOption {
  field: string;
  /** Panels per row (wrap). */
  columns?: number;
  title?: string | null;
  sort?: readonly (string | number)[];
  /** A second facet, one row per value (then `field` makes the columns and nothing wraps). */
  row?: string;
}

/** Wraps a unit or layer spec into a facet when `facet` is given. */
function faceted(inner: Spec, facet: FacetOption | undefined, extra: Spec = {}): Spec {
  if (!facet) return { ...inner, ...extra };
  const main = { field: facet.field, type: 'ordinal', title: facet.title === undefined ? facet.field : facet.title, ...(facet.sort ? { sort: facet.sort } : {}) };
  return {
    facet: facet.row ? { row: { field: facet.row, type: 'ordinal' }, column: main } : main,
    ...(facet.columns && !facet.row ? { columns: facet.columns } : {}),
    spec: inner,
    resolve: { scale: { x: 'shared', y: 'shared' } },
    ...extra,
  };
}

export interface HeatmapOptions {
  x: string;
  y: string;
  value: string;
  /** Axis titles; null hides one. Default: the field name. */
  xTitle?: string | null;
  yTitle?: string | null;
  /** Orders of the categories (default: sorted). */
  xSort?: readonly (string | number)[];
  ySort?: readonly (string | number)[];
  /** Symmetric diverging colour scale over [-domain, domain] (cosines: 1). Default: sequential. */
  divergingDomain?: number;
  facet?: FacetOption;
  /** Cell size in pixels. Default 26. */
  cell?: number;
  /** Write each cell's value in it. Default true. */
  labels?: boolean;
}

export function heatmapSpec(o: HeatmapOptions): Spec {
  const cell = o.cell ?? 26;
  const color = o.divergingDomain !== undefined
    ? { scale: { scheme: 'redblue', domain: [-o.divergingDomain, o.divergingDomain], reverse: true } }
    : { scale: { scheme: 'viridis' } };
  const encoding = {
    x: { field: o.x, type: 'ordinal', title: o.xTitle === undefined ? o.x : o.xTitle, ...(o.xSort ? { sort: o.xSort } : {}), axis: { labelAngle: -40 } },
    y: { field: o.y, type: 'ordinal', title: o.yTitle === undefined ? o.y : o.yTitle, ...(o.ySort ? { sort: o.ySort } : {}) },
  };
  const layers: Spec[] = [{ mark: { type: 'rect' }, encoding: { ...encoding, color: { field: o.value, type: 'quantitative', title: o.value, ...color } } }];
  if (o.labels ?? true) {
    layers.push({
      mark: { type: 'text', fontSize: 8 },
      encoding: {
        ...encoding,
        text: { field: o.value, type: 'quantitative', format: '.2f' },
        // White on the dark ends of the diverging scale.
        color: o.divergingDomain !== undefined
          ? { condition: { test: `abs(datum[${JSON.stringify(o.value)}]) > ${0.6 * o.divergingDomain}`, value: 'white' }, value: '#222' }
          : { value: '#222' },
      },
    });
  }
  return faceted({ width: { step: cell }, height: { step: cell }, layer: layers }, o.facet);
}

export interface LineOptions {
  x: string;
  y: string;
  series: string;
  xTitle?: string;
  yTitle?: string;
  /** Interval bounds drawn as error bars, when given. */
  low?: string;
  high?: string;
  /** A field that separates lines of the same series (e.g. the layer). */
  detail?: string;
  /** Series shown dashed (controls). */
  dashed?: readonly string[];
  seriesSort?: readonly string[];
  xScale?: Spec;
  yDomain?: [number, number];
  /** Where the series legend goes. Default right. */
  legend?: 'right' | 'top' | 'bottom';
  facet?: FacetOption;
  width?: number;
  height?: number;
}

export function lineSpec(o: LineOptions): Spec {
  const x = { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x, ...(o.xScale ? { scale: o.xScale } : {}), axis: { tickMinStep: 1 } };
  const y = { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, ...(o.yDomain ? { scale: { domain: o.yDomain } } : { scale: { zero: false } }) };
  const color = { field: o.series, type: 'nominal', title: null, ...(o.seriesSort ? { sort: o.seriesSort } : {}), legend: { orient: o.legend ?? 'right', labelLimit: 0 } };
  const dash = o.dashed?.length
    ? { strokeDash: { condition: { test: `indexof(${JSON.stringify(o.dashed)}, datum[${JSON.stringify(o.series)}]) >= 0`, value: [5, 3] }, value: [1, 0] } }
    : {};
  const detail = o.detail ? { detail: { field: o.detail, type: 'nominal' } } : {};
  const layers: Spec[] = [
    { mark: { type: 'line', point: true }, encoding: { x, y, color, ...dash, ...detail } },
  ];
  if (o.low && o.high) {
    layers.push({ mark: { type: 'rule', opacity: 0.7 }, encoding: { x, y: { field: o.low, type: 'quantitative', title: o.yTitle ?? o.y }, y2: { field: o.high }, color, ...detail } });
  }
  return faceted({ width: o.width ?? 260, height: o.height ?? 180, layer: layers }, o.facet);
}

export interface ScatterOptions {
  x: string;
  y: string;
  xTitle?: string;
  yTitle?: string;
  color: string;
  colorSort?: readonly string[];
  /** Field whose value 'direction' marks the rows drawn as large diamonds. */
  kind?: string;
  facet?: FacetOption;
  size?: number;
}

export function scatterSpec(o: ScatterOptions): Spec {
  const color = { field: o.color, type: 'nominal', ...(o.colorSort ? { sort: o.colorSort } : {}), legend: { orient: 'bottom' } };
  const base = {
    x: { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x, scale: { zero: false } },
    y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: { zero: false } },
    color,
  };
  const layers: Spec[] = o.kind
    ? [
      { transform: [{ filter: `datum[${JSON.stringify(o.kind)}] !== 'direction'` }], mark: { type: 'point', filled: true, opacity: 0.65, size: 28 }, encoding: base },
      { transform: [{ filter: `datum[${JSON.stringify(o.kind)}] === 'direction'` }], mark: { type: 'point', shape: 'diamond', filled: true, size: 150, stroke: '#000', strokeWidth: 1 }, encoding: base },
    ]
    : [{ mark: { type: 'point', filled: true, opacity: 0.65 }, encoding: base }];
  return faceted({ width: o.size ?? 220, height: o.size ?? 220, layer: layers }, o.facet, { resolve: { scale: { x: 'independent', y: 'independent' } } });
}

export interface BarOptions {
  x: string;
  y: string;
  color?: string;
  /** Side-by-side bars within each x category. */
  offset?: string;
  /** Orders of the x categories and of the colours / offsets (default: sorted). */
  xSort?: readonly string[];
  colorSort?: readonly string[];
  xTitle?: string;
  yTitle?: string;
  facet?: FacetOption;
  low?: string;
  high?: string;
  width?: number;
}

export function barSpec(o: BarOptions): Spec {
  const x = { field: o.x, type: 'ordinal', title: o.xTitle ?? o.x, ...(o.xSort ? { sort: o.xSort } : {}), axis: { labelAngle: 0 } };
  const y = { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y };
  const sort = o.colorSort ? { sort: o.colorSort } : {};
  const color = o.color ? { color: { field: o.color, type: 'nominal', ...sort, legend: { orient: 'right', labelLimit: 0 } } } : {};
  const offset = o.offset ? { xOffset: { field: o.offset, type: 'nominal', ...sort } } : {};
  const layers: Spec[] = [{ mark: 'bar', encoding: { x, y, ...color, ...offset } }];
  if (o.low && o.high) layers.push({ mark: { type: 'rule', color: '#333' }, encoding: { x, y: { field: o.low, type: 'quantitative' }, y2: { field: o.high }, ...offset } });
  return faceted({ width: o.width ?? 240, height: 180, layer: layers }, o.facet);
}
