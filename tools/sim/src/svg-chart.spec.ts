import { describe, expect, it } from 'vitest';
import { escapeXml, lineChart, niceTicks } from './svg-chart.js';

describe('lineChart', () => {
  it('draws one polyline per series, a legend and reference lines, with escaped text', () => {
    const svg = lineChart({
      title: 'fill <max> & p99',
      xLabel: 'days',
      yLabel: 'ratio',
      series: [
        {
          name: 'a',
          color: '#f00',
          points: [
            [0, 1],
            [1, 1.2],
            [2, 1.1],
          ],
        },
        {
          name: 'b',
          color: '#00f',
          dashed: true,
          points: [
            [0, 1],
            [2, Number.NaN],
            [3, 1.05],
          ],
        },
        { name: 'empty', color: '#0f0', points: [] },
      ],
      references: [{ y: 1.05, label: 'target' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('fill &#60;max&#62; &#38; p99');
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('>target<');
    expect(svg).not.toContain('NaN');
  });

  it('survives a flat or empty chart', () => {
    expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toContain('</svg>');
    expect(
      lineChart({
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        series: [
          {
            name: 's',
            color: '#000',
            points: [
              [0, 2],
              [1, 2],
            ],
          },
        ],
      }),
    ).toContain('<polyline');
  });
});

describe('niceTicks and escapeXml', () => {
  it('picks round steps covering the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.97, 1.23)).toEqual([1, 1.05, 1.1, 1.15, 1.2]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(escapeXml(`a"b'c`)).toBe('a&#34;b&#39;c');
  });
});
