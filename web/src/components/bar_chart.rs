//! A horizontal bar chart drawn as SVG (no script, no external library), with
//! the counts written next to the bars so it reads without colour.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BarChartProps {
    pub id: AttrValue,
    pub title: AttrValue,
    /// `(label, count)` in display order.
    pub bars: Vec<(String, i64)>,
}

const ROW: i64 = 28;
const LABEL_W: i64 = 90;
const BAR_W: i64 = 380;

/// What the chart shows, in words: "Sex: female 4, male 2, other 0."
pub fn text_alternative(title: &str, bars: &[(String, i64)]) -> String {
    let values = bars
        .iter()
        .map(|(l, c)| format!("{l} {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{title}: {values}.")
}

#[function_component(BarChart)]
pub fn bar_chart(props: &BarChartProps) -> Html {
    let max = props.bars.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    let height = ROW * props.bars.len() as i64 + 36;
    let width = LABEL_W + BAR_W + 60;
    let summary = text_alternative(&props.title, &props.bars);
    html! {
        <svg id={props.id.clone()} class="chart" role="img" aria-label={summary.clone()}
            viewBox={format!("0 0 {width} {height}")} xmlns="http://www.w3.org/2000/svg">
            <title>{ summary }</title>
            <text x="8" y="20" font-weight="600">{ props.title.clone() }</text>
            { for props.bars.iter().enumerate().map(|(i, (label, count))| {
                let y = 30 + i as i64 * ROW;
                let w = (BAR_W * count / max).max(if *count > 0 { 2 } else { 0 });
                html! {
                    <g class="bar-row" data-label={label.clone()} data-count={count.to_string()}>
                        <text x="8" y={(y + 17).to_string()}>{ label.clone() }</text>
                        <rect class="bar" x={LABEL_W.to_string()} y={(y + 4).to_string()}
                            width={w.to_string()} height={(ROW - 8).to_string()} rx="3" />
                        <text x={(LABEL_W + w + 6).to_string()} y={(y + 17).to_string()}>{ count.to_string() }</text>
                    </g>
                }
            }) }
        </svg>
    }
}
