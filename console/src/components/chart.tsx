import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  /** Seconds since the epoch, ascending. */
  times: number[];
  values: (number | null)[];
}

/**
 * A time-series chart (uPlot: canvas, tens of KB, fast for thousands of points), resized with
 * its box. `series` replaces the data; the chart is built once per metric.
 */
export function Chart({ label, series }: { label: string; series: Series }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  useEffect(() => {
    const element = box.current!;
    const width = () => Math.max(280, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 260,
        series: [{}, { label, stroke: '#2563eb', width: 2, spanGaps: false }],
        axes: [{}, { size: 60 }],
        cursor: { drag: { x: false, y: false } },
      },
      [series.times, series.values],
      element,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 260 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
    };
    // Rebuilt for another metric only; data changes go through setData below.
  }, [label]);
  useEffect(() => {
    plot.current?.setData([series.times, series.values]);
  }, [series]);
  return <div class="chart" ref={box} data-points={series.times.length} />;
}
