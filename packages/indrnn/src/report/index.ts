/** Run reports (Node): Markdown + SVG charts for one run, or a comparison of several. */
export {
  writeReport,
  buildReport,
  REPORT_FILE,
  type ReportOptions,
  type ReportResult,
} from './report.js';
export {
  writeComparison,
  buildComparison,
  defaultComparisonDir,
  COMPARISON_FILE,
  type ComparisonResult,
} from './compare.js';
export {
  readRun,
  parseMetrics,
  type RunData,
  type RunStatus,
  type MetricsRecord,
} from './run-files.js';
export {
  lineChartSvg,
  histogramSvg,
  escapeXml,
  PALETTE,
  type LineChartSpec,
  type LineSeries,
  type HistogramSpec,
  type HistogramBins,
  type Point,
} from './svg.js';
export { chooseScaleKind, LOG_AXIS_DECADES } from './scale.js';
