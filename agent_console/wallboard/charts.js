/* The hourly charts (ECharts, vendored at install: global echarts): calls offered and answered, and
   the answer rate against its target. */

import { byId, el, isNum, pad } from '../lib/dom.js';
import { t } from './i18n.js';
import { state } from './state.js';

export function initCharts() {
  const charts = state.charts;
  if (charts.volume || charts.missing) return;
  if (typeof window.echarts === 'undefined') {
    charts.missing = true;
    for (const id of ['chart-volume', 'chart-answer-rate']) {
      byId(id).replaceChildren(el('p', { class: 'chart-missing', 'data-i18n': 'chart.missing', text: t('chart.missing') }));
    }
    return;
  }
  charts.volume = window.echarts.init(byId('chart-volume'), null, { renderer: 'canvas' });
  charts.rate = window.echarts.init(byId('chart-answer-rate'), null, { renderer: 'canvas' });
  charts.observer = new ResizeObserver(() => {
    charts.volume.resize();
    charts.rate.resize();
    renderCharts(); // font sizes follow the screen
  });
  charts.observer.observe(byId('chart-volume'));
  charts.observer.observe(byId('chart-answer-rate'));
}

/** The hours shown: from the first to the last hour present (the hours between filled with zeroes). */
function chartHours(byHour) {
  const present = Object.keys(byHour || {}).filter((h) => /^\d{1,2}$/.test(h)).map(Number).filter((h) => h >= 0 && h <= 23);
  if (!present.length) return [];
  const hours = [];
  for (let h = Math.min(...present); h <= Math.max(...present); h += 1) hours.push(pad(h));
  return hours;
}

export function renderCharts() {
  const { volume, rate } = state.charts;
  if (!volume || !rate) return;
  const byHour = (state.figures && state.figures.by_hour) || {};
  const hours = chartHours(byHour);
  const get = (h) => byHour[h] || byHour[String(Number(h))] || null;
  const rootSize = parseFloat(getComputedStyle(document.documentElement).fontSize) || 13;
  const font = Math.round(rootSize * 0.85);
  const config = (state.live && state.live.alerts_config) || {};
  const target = isNum(config.answer_rate_below) ? +(config.answer_rate_below * 100).toFixed(1) : null;
  const noData = {
    show: hours.length === 0, text: t('chart.noData'), left: 'center', top: 'middle',
    textStyle: { fontSize: font, fontWeight: 'normal', color: '#667085' },
  };
  const grid = { left: font * 3, right: font * 1.2, top: font * 2.6, bottom: font * 2 };
  const axisLabel = { fontSize: font };
  const tooltipFormat = (h) => t('chart.hour', { hour: h });

  byId('chart-volume').dataset.hours = hours.join(',');
  byId('chart-answer-rate').dataset.hours = hours.join(',');

  volume.setOption({
    animationDurationUpdate: 300,
    title: noData,
    grid,
    legend: { top: 0, right: 0, itemHeight: font * 0.8, textStyle: { fontSize: font } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, textStyle: { fontSize: font } },
    xAxis: { type: 'category', data: hours, axisLabel: { ...axisLabel, formatter: (v) => v }, axisPointer: { label: { formatter: (p) => tooltipFormat(p.value) } } },
    yAxis: { type: 'value', minInterval: 1, axisLabel, splitLine: { lineStyle: { color: '#edf0f3' } } },
    series: [
      { id: 'offered', name: t('chart.offered'), type: 'bar', barGap: '10%', itemStyle: { color: '#9fb7dc' },
        data: hours.map((h) => { const f = get(h); return f && isNum(f.offered) ? f.offered : 0; }) },
      { id: 'answered', name: t('chart.answered'), type: 'bar', itemStyle: { color: '#1b8a4b' },
        data: hours.map((h) => { const f = get(h); return f && isNum(f.answered) ? f.answered : 0; }) },
    ],
  });

  rate.setOption({
    animationDurationUpdate: 300,
    title: noData,
    grid,
    legend: { top: 0, right: 0, itemHeight: font * 0.8, textStyle: { fontSize: font } },
    tooltip: {
      trigger: 'axis', textStyle: { fontSize: font },
      valueFormatter: (v) => (isNum(v) ? `${v}%` : '—'),
    },
    xAxis: { type: 'category', data: hours, boundaryGap: false, axisLabel, axisPointer: { label: { formatter: (p) => tooltipFormat(p.value) } } },
    yAxis: { type: 'value', min: 0, max: 100, interval: 25, axisLabel: { ...axisLabel, formatter: '{value}%' }, splitLine: { lineStyle: { color: '#edf0f3' } } },
    series: [{
      id: 'answer-rate', name: t('chart.answerRateSeries'), type: 'line', smooth: false, connectNulls: false,
      symbolSize: font * 0.55, lineStyle: { width: 2, color: '#1d5fbf' }, itemStyle: { color: '#1d5fbf' },
      areaStyle: { color: 'rgba(29, 95, 191, 0.08)' },
      data: hours.map((h) => { const f = get(h); return f && isNum(f.answer_rate) ? +(f.answer_rate * 100).toFixed(1) : '-'; }),
      markLine: target === null || hours.length === 0 ? { data: [] } : {
        silent: true, symbol: 'none',
        lineStyle: { color: '#c62828', type: 'dashed' },
        label: { formatter: t('chart.target', { value: `${target}%` }), position: 'insideStartTop', fontSize: font, color: '#c62828' },
        data: [{ yAxis: target }],
      },
    }],
  });
}
