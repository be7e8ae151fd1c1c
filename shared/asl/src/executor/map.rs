//! Map states: run the iterations, as many at once as MaxConcurrency lets, collect their
//! outputs in order, tolerate the failures the state allows, and stop the rest when one fails it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::item_reader::Sources;
use super::map_entries::{self, Keys};
use super::map_iteration::{self, Iteration};
use super::map_run::MapRun;
use super::result_writer::Child;
use super::{Interpreter, Recovery, Run, caught};
use super::{map_batches, map_limits};
use crate::context::{Context, MapItem};
use crate::definition::MapState;
use crate::error::{StatesError, names};
use crate::io::{Lang, Step, input_path, jsonata_field, states_doc, template};
use crate::path::reference;

impl Interpreter {
    pub(super) async fn map(
        &self,
        name: &str,
        s: &MapState,
        lang: Lang,
        input: Value,
        run: &Run,
        ctx: &Context,
    ) -> Result<Step, StatesError> {
        let processor = s
            .item_processor
            .as_ref()
            .ok_or_else(|| StatesError::runtime(format!("Map state '{name}' has no ItemProcessor")))?;
        // A distributed Map runs here like an inline one (its child executions become
        // iterations), its items read and its results written through the interpreter's objects
        // when an ItemReader or a ResultWriter names them.
        let distributed = MapRun::distributed(processor);
        let mut retries = vec![0u64; s.retry.len()];
        loop {
            // The iteration that failed the state and its last event, which the state's next
            // event follows, as `MapIterationFailed` does (recorded in localstack/localstack,
            // tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json,
            // MAP_CATCH_ERROR_OUTPUT_WITH_RETRY, 2024-11-12).
            let failed_at: Mutex<Option<(usize, u64)>> = Mutex::new(None);
            // The iterations started and not finished, stopped if one fails the state.
            let running: Mutex<BTreeMap<usize, Arc<Iteration>>> = Mutex::new(BTreeMap::new());
            // The last `MapIterationSucceeded`, which the state's success and exit follow.
            let last_success = AtomicU64::new(0);
            let attempt = async {
                let limit = map_limits::max_concurrency(s, &input, ctx)?;
                let effective = match lang {
                    Lang::JsonPath => input_path(&s.io, &input, ctx)?,
                    Lang::Jsonata => Cow::Borrowed(&input),
                };
                let mut origins = Origins::default();
                let items = match (lang, &s.items, &s.item_reader) {
                    (_, _, Some(reader)) => {
                        // A reader's items are read after the state starts, uncounted: AWS gave
                        // `"length": 0` before the reader's items, and before the failure of a
                        // MaxItemsPath that selects no integer (localstack/localstack,
                        // tests/aws/services/stepfunctions/v2/scenarios/
                        // test_base_scenarios.snapshot.json, test_map_item_reader_csv_max_items
                        // and …_max_items_paths, 2024-03-25; …_base_json_max_items_jsonata,
                        // 2024-11-13).
                        run.recorder
                            .emit("MapStateStarted", Some("mapStateStartedEventDetails"), json!({"length": 0}));
                        match self.read_items(name, reader, lang, (&input, &effective), ctx).await {
                            Ok((items, sources, keys)) => {
                                origins = Origins {
                                    sources: Some(sources),
                                    keys,
                                };
                                Value::Array(items)
                            }
                            // The dataset is read within the Map Run: AWS recorded
                            // `MapRunStarted`, then `MapRunFailed` with the reader's error and
                            // cause, before `MapStateFailed` (test_base_scenarios.snapshot.json,
                            // test_map_item_reader_csv_headers_decl_duplicate_headers and
                            // test_map_item_reader_json_no_json_list_object, 2023-09-21).
                            Err(error) if distributed && error.error == names::ITEM_READER_FAILED => {
                                MapRun::start(s, processor, run).failed(run, &error);
                                return Err(error);
                            }
                            Err(error) => return Err(error),
                        }
                    }
                    (Lang::Jsonata, Some(items), None) => jsonata_field(items, "Items", &states_doc(&input, None, None, ctx))?,
                    (Lang::Jsonata, None, None) => input.clone(),
                    (Lang::JsonPath, _, None) => reference(s.items_path.as_deref().unwrap_or("$"), &effective, ctx)?,
                };
                let items = match items {
                    Value::Array(items) => items,
                    Value::Object(object) if lang == Lang::JsonPath => {
                        let (items, keys) = map_entries::entries(object, usize::MAX);
                        origins.keys = keys;
                        items
                    }
                    items => {
                        let expression = s.items.as_ref().and_then(Value::as_str).and_then(crate::jsonata::expression);
                        return Err(match (lang, expression) {
                            (Lang::Jsonata, Some(expr)) => crate::jsonata::unexpected_type(expr, "Items", "array", &items),
                            (Lang::Jsonata, None) => StatesError::map_input_not_array(&items),
                            (Lang::JsonPath, _) => {
                                StatesError::runtime(format!("the Map state's items must be an array or an object, got {items}"))
                            }
                        });
                    }
                };
                let selector = s.item_selector.as_ref().or(s.parameters.as_ref());
                // Batched, each child execution takes a batch of selected items.
                let items = match &s.item_batcher {
                    Some(batcher) => {
                        let selected = items
                            .into_iter()
                            .enumerate()
                            .map(|(index, item)| {
                                select_item(selector, lang, &effective, (index, item, origins.of(index)), ctx).map(|(input, _)| input)
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        map_batches::batches(batcher, selected, lang, (&input, &*effective), ctx)?
                    }
                    None => items,
                };
                let n = items.len();
                let limit = match limit {
                    0 => n.max(1),
                    l => usize::try_from(l).unwrap_or(usize::MAX),
                };
                if s.item_reader.is_none() {
                    run.recorder
                        .emit("MapStateStarted", Some("mapStateStartedEventDetails"), json!({"length": n}));
                }
                // Tolerance is a Distributed Map's: an inline Map fails at its first failed
                // iteration, as the ASL spec's Map state does, whatever fields it carries.
                let tolerated = match distributed {
                    true => map_limits::tolerated_failures(s, n, &input, ctx)?,
                    false => None,
                };
                let writer = match &s.result_writer {
                    Some(fields) => Some(self.result_writer(name, fields, lang, (&input, &effective), ctx)?),
                    None => None,
                };
                // What each child was given and how it ended, kept only for a writer.
                let children: Mutex<Vec<Option<Child>>> = Mutex::new(match writer {
                    Some(_) => std::iter::repeat_with(|| None).take(n).collect(),
                    None => Vec::new(),
                });
                let map_run = distributed.then(|| MapRun::start(s, processor, run));
                let permits = Arc::new(tokio::sync::Semaphore::new(limit));
                let failures = AtomicUsize::new(0);
                let map_name: Arc<str> = Arc::from(name);
                let origins = &origins;
                let iterations = items.into_iter().enumerate().map(|(index, item)| {
                    let permits = permits.clone();
                    let effective = &effective;
                    let failures = &failures;
                    let failed_at = &failed_at;
                    let running = &running;
                    let last_success = &last_success;
                    let map_name = &map_name;
                    let map_run = &map_run;
                    let children = &children;
                    let keep = writer.is_some();
                    async move {
                        let _permit = permits
                            .acquire_owned()
                            .await
                            .map_err(|_| StatesError::runtime("map concurrency limiter closed"))?;
                        // A batch was selected item by item; a child execution of one has no
                        // `$$.Map.Item` of its own.
                        let (item_input, map_item) = match s.item_batcher {
                            Some(_) => (item, None),
                            None => {
                                let (input, map_item) = select_item(selector, lang, effective, (index, item, origins.of(index)), ctx)?;
                                (input, Some(map_item))
                            }
                        };
                        let iteration = Arc::new(Iteration::start(run, processor, map_run.as_ref(), (map_name, index), &item_input));
                        lock(running).insert(index, iteration.clone());
                        let kept = keep.then(|| item_input.clone());
                        let out = self.run_machine(processor, item_input, &iteration.flow, map_item).await;
                        let (last, succeeded) = iteration.ended(run, &out);
                        if let Some(id) = succeeded {
                            last_success.fetch_max(id, Ordering::SeqCst);
                        }
                        if let (Some(input), Some(execution)) = (kept, iteration.child()) {
                            lock(children)[index] = Some(Child {
                                execution: execution.clone(),
                                input,
                                outcome: out.clone(),
                                stopped: iteration.flow.clock.now(),
                            });
                        }
                        match out {
                            Ok(v) => {
                                lock(running).remove(&index);
                                Ok(v)
                            }
                            Err(e) if e.is_terminal() => Err(e),
                            Err(e) => {
                                let failed = failures.fetch_add(1, Ordering::SeqCst) + 1;
                                let error = match tolerated {
                                    // Within tolerance, a failed item leaves a null in the results.
                                    Some(t) if failed <= t => {
                                        lock(running).remove(&index);
                                        return Ok(Value::Null);
                                    }
                                    Some(t) => StatesError::new(
                                        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                        format!("{failed} of {n} items failed, more than the {t} tolerated"),
                                    ),
                                    _ => e,
                                };
                                lock(failed_at).get_or_insert((index, last));
                                Err(error)
                            }
                        }
                    }
                });
                let results = futures_util::future::try_join_all(iterations).await.map(Value::Array);
                if let Some(map_run) = &map_run {
                    match &results {
                        Ok(_) => map_run.succeeded(run),
                        Err(error) => map_run.failed(run, error),
                    }
                    let results = match writer {
                        Some(writer) => {
                            results?;
                            let children = std::mem::take(&mut *lock(&children)).into_iter().flatten().collect();
                            writer.finish(map_run, children).await?
                        }
                        None => results?,
                    };
                    return s.outputs(lang).apply(input.clone(), results, ctx);
                }
                let results = results?;
                // AWS's history (localstack/localstack, tests/aws/services/stepfunctions/v2/
                // states_variables/test_error_output.snapshot.json, MAP_CATCH_ERROR_OUTPUT,
                // 2024-11-12, three items one at a time): each `MapIterationStarted` after the
                // first follows the previous iteration's last state event (13 follows 11, not the
                // `MapIterationSucceeded` 12); the success and the exit follow the last
                // `MapIterationSucceeded` (31 and 32 follow 30).
                run.recorder
                    .succeeded_after("MapStateSucceeded", last_success.load(Ordering::SeqCst));
                s.outputs(lang).apply(input.clone(), results, ctx)
            };
            match attempt.await {
                Ok((step, assigned)) => {
                    run.stage(assigned);
                    return Ok(step);
                }
                Err(error) => {
                    let error = run.evaluation_failed(error, name);
                    // As for a Parallel state: a terminal error ends the execution here.
                    if error.is_terminal() {
                        return Err(error);
                    }
                    if let Some((failed, last)) = *lock(&failed_at) {
                        map_iteration::stop(&lock(&running), failed, last);
                        // In an inline Map's history the state's next event follows the
                        // failed iteration's last; a child's events are its own.
                        if !distributed {
                            run.recorder.follow(last);
                        }
                    }
                    let record = || {
                        run.recorder.emit("MapStateFailed", None, Value::Null);
                    };
                    match self.recover_fan_out(&error, (&s.retry, &mut retries), &s.catch, record).await {
                        Recovery::Retry => {}
                        Recovery::Catch(i, c) => return caught((i, c), lang, input, error, ctx, run),
                        Recovery::Fail => return Err(error),
                    }
                }
            }
        }
    }
}

/// Where a Map's items came from, as `$$.Map.Item` tells it: the reader that read them, and the
/// keys of those that are an object's entries.
#[derive(Default)]
struct Origins {
    sources: Option<Sources>,
    keys: Keys,
}

impl Origins {
    fn of(&self, index: usize) -> Origin {
        Origin {
            source: self.sources.as_ref().and_then(|s| s.of(index)),
            key: self.keys.of(index),
        }
    }
}

/// Where one item came from.
struct Origin {
    source: Option<Arc<str>>,
    key: Option<Arc<str>>,
}

/// An item as its iteration receives it, through the ItemSelector (or the legacy Parameters)
/// when there is one, which reads `$$.Map.Item`; and that `$$.Map.Item`.
fn select_item(
    selector: Option<&Value>,
    lang: Lang,
    effective: &Value,
    (index, item, origin): (usize, Value, Origin),
    ctx: &Context,
) -> Result<(Value, Arc<MapItem>), StatesError> {
    let Some(selector) = selector else {
        return Ok((item.clone(), map_item(index, item, origin)));
    };
    let map_item = map_item(index, item, origin);
    let item_ctx = ctx.clone().with_map_item(map_item.clone());
    let input = template(lang, selector, "ItemSelector", (effective, effective), &item_ctx)?;
    Ok((input, map_item))
}

fn map_item(index: usize, item: Value, origin: Origin) -> Arc<MapItem> {
    Arc::new(MapItem {
        index,
        value: map_entries::value_of(item, origin.key.as_ref()),
        key: origin.key,
        source: origin.source,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
