//! A Distributed Map's `ItemBatcher`: the selected items grouped, in order, into batches of at
//! most `MaxItemsPerBatch` items and `MaxInputBytesPerBatch` bytes, each the input of one child
//! execution, `{"Items": [...], "BatchInput": {...}}` (developer guide, ItemBatcher (Map); the
//! Distributed Map tutorial "Processing individual items with a Lambda function").

use serde_json::{Map, Value};

use super::map_limits::{field_number, path_number, whole};
use crate::context::Context;
use crate::definition::ItemBatcher;
use crate::error::StatesError;
use crate::io::{Lang, PAYLOAD_LIMIT, json_len, template};

/// The batches of `items`. `input` is the state's input, which the numbers (and their paths,
/// as MaxConcurrencyPath) and JSONata fields read; `effective` is what its InputPath selected,
/// which a JSONPath `BatchInput` reads, as the ItemSelector does.
pub(super) fn batches(
    batcher: &ItemBatcher,
    items: Vec<Value>,
    lang: Lang,
    (input, effective): (&Value, &Value),
    ctx: &Context,
) -> Result<Vec<Value>, StatesError> {
    let limit = |number, number_name: &str, path: &Option<String>, path_name: &str| -> Result<Option<u64>, StatesError> {
        let n = match (field_number(number, number_name, input, ctx)?, path) {
            (Some(n), _) => whole(n, number_name)?,
            (None, Some(p)) => whole(path_number(p, path_name, input, ctx)?, path_name)?,
            (None, None) => return Ok(None),
        };
        // AWS takes 0 when the state machine is created (its minimum is 0, floci-io/floci#3733);
        // like a MaxConcurrency or an ItemReader's MaxItems of 0, it sets no bound.
        Ok((n > 0).then_some(n))
    };
    let max_items = limit(
        batcher.max_items_per_batch.as_ref(),
        "MaxItemsPerBatch",
        &batcher.max_items_per_batch_path,
        "MaxItemsPerBatchPath",
    )?;
    let max_bytes = limit(
        batcher.max_input_bytes_per_batch.as_ref(),
        "MaxInputBytesPerBatch",
        &batcher.max_input_bytes_per_batch_path,
        "MaxInputBytesPerBatchPath",
    )?
    // A batch holds no more than a state's input may (developer guide, ItemBatcher:
    // "MaxInputBytesPerBatch … up to 256 KiB").
    .map_or(PAYLOAD_LIMIT, |b| usize::try_from(b).unwrap_or(usize::MAX).min(PAYLOAD_LIMIT));
    let batch_input = match &batcher.batch_input {
        Some(written) => Some(template(lang, written, "BatchInput", (input, effective), ctx)?),
        None => None,
    };
    // `{"Items":[]}` and `,"BatchInput":…`: what every batch holds besides its items.
    let base = 12 + batch_input.as_ref().map_or(0, |b| 14 + json_len(b));
    let mut out = Vec::new();
    let mut batch: Vec<Value> = Vec::new();
    let mut bytes = base;
    for item in items {
        let item_bytes = json_len(&item);
        // An item after the first is preceded by a comma.
        let adds = |batch: &[Value]| item_bytes + usize::from(!batch.is_empty());
        let full = max_items.is_some_and(|m| batch.len() as u64 >= m) || bytes + adds(&batch) > max_bytes;
        // A batch holds at least one item, however large: the child's input limit judges it.
        if full && !batch.is_empty() {
            out.push(wrap(std::mem::take(&mut batch), &batch_input));
            bytes = base;
        }
        bytes += adds(&batch);
        batch.push(item);
    }
    if !batch.is_empty() {
        out.push(wrap(batch, &batch_input));
    }
    Ok(out)
}

fn wrap(items: Vec<Value>, batch_input: &Option<Value>) -> Value {
    let mut input = Map::new();
    if let Some(b) = batch_input {
        input.insert("BatchInput".into(), b.clone());
    }
    input.insert("Items".into(), Value::Array(items));
    Value::Object(input)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::definition::NumberOrExpression;

    fn batch(batcher: ItemBatcher, items: Value) -> Vec<Value> {
        let items = items.as_array().cloned().unwrap_or_default();
        let input = json!({"factor": 7});
        batches(&batcher, items, Lang::JsonPath, (&input, &input), &Context::fixed(json!({}))).unwrap()
    }

    #[test]
    fn items_are_grouped_in_order_with_the_batch_input() {
        let batcher = ItemBatcher {
            max_items_per_batch: Some(NumberOrExpression::Number(3.0)),
            batch_input: Some(json!({"f.$": "$.factor"})),
            ..ItemBatcher::default()
        };
        let out = batch(batcher, json!([1, 2, 3, 4, 5, 6, 7]));
        assert_eq!(
            out,
            vec![
                json!({"BatchInput": {"f": 7}, "Items": [1, 2, 3]}),
                json!({"BatchInput": {"f": 7}, "Items": [4, 5, 6]}),
                json!({"BatchInput": {"f": 7}, "Items": [7]}),
            ]
        );
    }

    #[test]
    fn a_byte_limit_closes_a_batch_before_it_would_pass_it() {
        let batcher = ItemBatcher {
            max_input_bytes_per_batch: Some(NumberOrExpression::Number(20.0)),
            ..ItemBatcher::default()
        };
        // `{"Items":["aaa"]}` is 17 bytes; a second item would make it 23.
        let out = batch(batcher, json!(["aaa", "bbb", "a-much-longer-item"]));
        assert_eq!(
            out,
            vec![
                json!({"Items": ["aaa"]}),
                json!({"Items": ["bbb"]}),
                json!({"Items": ["a-much-longer-item"]})
            ]
        );
    }
}
