//! Which call an error of the embedded engine's signature check blames, so that the error is
//! worded as jsonata-js words it, which is AWS's: `T0410: Argument 1 of function "abs" does not
//! match function signature` (recorded in floci-io/floci#2783), `T0412: Argument 1 of function
//! "sum" must be an array of "numbers"` (floci-io/floci#2668). The embedded engine checks the
//! same signatures (`jsonata_signatures`) but words the error without the function (`T0410:
//! Argument 1 must be Number`) and reports too many or too few arguments as a count (`Argument
//! count mismatch: expected 1, got 2`), and a step's item that stands in for a first argument
//! as that argument (jsonata-js's `T0411`). The function is found in the expression: the call
//! whose arguments, evaluated again, do not fit its signature, or the one with that many
//! arguments; of several, the one jsonata-js evaluates first (`jsonata_evaluation_order`). A
//! call in a path step or a filter is evaluated again with each item it reads, where the
//! expression says which (`jsonata_context_items`); any other call whose arguments read a path
//! step's item or a function's parameters may be the one where what encloses it fails. Where
//! that is not certain, or a lambda with a signature of its own is defined, the engine's words
//! stay.

use jsonata_core::ast::AstNode;
use jsonata_core::value::JValue;

use crate::jsonata_blame::{Blame, TOKEN, ValueOf};
use crate::jsonata_context_items::{Given, given_item_by_item, written_whole};
use crate::jsonata_signatures::{SIGNATURES, blamed_argument_of_any, check, first_accepts, first_takes_context, letter, refuses_a_type};

/// What the engine's signature error says, read back.
enum Misfit<'a> {
    /// `T0410`/`T0412` naming the argument (and, for `T0412`, the element type it wanted).
    Argument {
        code: &'a str,
        index: usize,
        element: Option<&'a str>,
    },
    /// `T0410` for too many or too few arguments: how many there were.
    Count(usize),
    /// `T0411`: the context item stood in for the first argument and did not fit it.
    Context,
}

fn misfit(message: &str) -> Option<Misfit<'_>> {
    let (code, rest) = message.split_once(": ")?;
    if code == "T0411" && rest.starts_with("Context value does not match function signature") {
        return Some(Misfit::Context);
    }
    if let Some(counts) = rest.strip_prefix("Argument count mismatch: expected ") {
        return counts.split_once(", got ")?.1.parse().ok().map(Misfit::Count);
    }
    let rest = rest.strip_prefix("Argument ")?;
    let (index, wanted) = rest.split_once(' ')?;
    let index = index.parse().ok()?;
    match code {
        "T0410" if wanted.starts_with("must be ") => Some(Misfit::Argument {
            code,
            index,
            element: None,
        }),
        "T0412" => {
            let element = wanted.rsplit_once("must be an array of ")?.1;
            Some(Misfit::Argument {
                code,
                index,
                element: Some(element),
            })
        }
        _ => None,
    }
}

/// Whether a call of `signature` with `values` fails as the engine's `misfit` says: its
/// arguments do not fit the signature, or (`T0412`) one meant to be an array of the element
/// type holds an item of another. (The engine numbers and names the argument its own way, so
/// neither is compared.)
fn fails_as(misfit: &Misfit, signature: &str, values: &[JValue]) -> bool {
    let element = match misfit {
        Misfit::Argument { element, .. } => element,
        // Arguments alone never raise it (`fails_for`).
        Misfit::Context => return false,
        Misfit::Count(_) => return true,
    };
    if let Some(element) = element {
        let Some(want) = type_letter(element) else { return false };
        let typed = signature.contains(&format!("a<{want}>"));
        let strays = |value: &JValue| match value {
            JValue::Array(items) => items.iter().any(|item| letter(item) != want),
            JValue::Undefined => false,
            one => letter(one) != want,
        };
        return typed && values.iter().any(strays);
    }
    check("", signature, values).is_err()
}

/// The type letter of the engine's name for a type (`Number`: `n`).
fn type_letter(name: &str) -> Option<char> {
    Some(match name {
        "Number" => 'n',
        "String" => 's',
        "Boolean" => 'b',
        "Array" => 'a',
        "Object" => 'o',
        "Function" => 'f',
        "Null" => 'l',
        _ => return None,
    })
}

/// jsonata-js's name for an array's element type (its `arraySignatureMapping`).
fn plural(element: &str) -> Option<&'static str> {
    Some(match element {
        "Array" => "arrays",
        "Boolean" => "booleans",
        "Function" => "functions",
        "Number" => "numbers",
        "Object" => "objects",
        "String" => "strings",
        _ => return None,
    })
}

/// Every call of a `$`-named function in `ast`: the call, the function's name, and the arguments
/// it is given (a call on the right of `~>` takes the left side as its first, as jsonata-js's
/// chain operator passes it).
fn calls(ast: &AstNode) -> Vec<(&AstNode, &str, Vec<&AstNode>)> {
    let nodes = crate::jsonata_references::nodes(ast);
    let chained = crate::jsonata_calls::chains(&nodes);
    nodes
        .into_iter()
        .filter_map(|node| match node {
            AstNode::Function {
                name,
                args,
                is_builtin: true,
            } => {
                let piped = chained.iter().find(|(_, rhs)| std::ptr::eq(*rhs, node)).map(|(lhs, _)| *lhs);
                Some((node, name.as_str(), piped.into_iter().chain(args).collect()))
            }
            _ => None,
        })
        .collect()
}

/// A call of a builtin: the call, the function's name, its signature, and the arguments it is
/// given.
type Call<'a> = (&'a AstNode, &'static str, &'static str, Vec<&'a AstNode>);

/// Whether `calls` are all of one function (and there is one).
fn of_one_function(calls: &[Call]) -> bool {
    calls
        .split_first()
        .is_some_and(|((_, name, ..), rest)| rest.iter().all(|(_, other, ..)| other == name))
}

/// Of the calls that read a path step's item or a function's parameters, each with its
/// enclosure (`jsonata_calls::calls_reading_an_inner_context`), those whose enclosure,
/// evaluated again (each enclosure once), fails: they may have raised the error.
fn enclosed_calls_that_may_have_failed<'a>(
    reading_inner: &[(&'a AstNode, &'a AstNode)],
    value_of: &mut ValueOf,
) -> Vec<(&'a AstNode, &'a AstNode)> {
    let mut failing: Vec<(&AstNode, bool)> = Vec::new();
    reading_inner
        .iter()
        .copied()
        .filter(
            |(_, enclosure)| match failing.iter().find(|(known, _)| std::ptr::eq(*known, *enclosure)) {
                Some((_, fails)) => *fails,
                None => {
                    let fails = value_of(enclosure, &JValue::Undefined).is_none();
                    failing.push((enclosure, fails));
                    fails
                }
            },
        )
        .collect()
}

/// Of `unevaluated` (calls in an enclosure that fails, `may_have_failed`), those of another
/// function than `chosen`'s that certainly failed before it: their enclosure is evaluated first
/// (`xs.$lowercase($) & $sqrt('x')`). None where the order is not known. A function handed to a
/// call runs only once that call's arguments are evaluated and fit, so the calls in its body
/// come after any call among those arguments (`$each($sqrt(xs), function($v){ $type($v) })`).
fn failed_before<'a>(
    ast: &'a AstNode,
    nodes: &[&'a AstNode],
    chosen: &Call<'a>,
    unevaluated: &[Call<'a>],
    may_have_failed: &[(&'a AstNode, &'a AstNode)],
    value_of: &mut ValueOf,
) -> Option<Vec<Call<'a>>> {
    let (node, name, ..) = *chosen;
    let handed = crate::jsonata_calls::calls_handed_a_function(nodes);
    let runs_after = |call: &AstNode| {
        handed.iter().any(|(receiver, body)| {
            crate::jsonata_references::nodes(receiver).iter().any(|n| std::ptr::eq(*n, node))
                && crate::jsonata_references::nodes(body).iter().any(|n| std::ptr::eq(*n, call))
        })
    };
    let mut before = Vec::new();
    for call in unevaluated {
        if call.1 == name || runs_after(call.0) {
            continue;
        }
        let Some((_, enclosure)) = may_have_failed.iter().find(|(inner, _)| std::ptr::eq(*inner, call.0)) else {
            continue;
        };
        let order = vec![(node, ()), (*enclosure, ())];
        match crate::jsonata_evaluation_order::the_one_evaluated_first(ast, order, value_of)? {
            (first, ()) if std::ptr::eq(first, node) => {}
            _ => before.push(call.clone()),
        }
    }
    Some(before)
}

/// Whether a call given `given` for an item fails as the engine's `misfit` says: the item
/// handed it does not fit its first parameter (jsonata-js's `T0411`, whatever the engine's
/// code), or its arguments do not fit (`fails_as`).
fn fails_for(given: &Given, misfit: &Misfit, signature: &str) -> bool {
    match &given.context {
        Some(item) => !first_accepts(signature, item),
        None => fails_as(misfit, signature, &given.args),
    }
}

/// The argument jsonata-js blames for a call given too many or too few arguments, by their
/// types. Given item by item (`given_item_by_item`), the first item they do not fit for blames,
/// and where none misfits the call did not fail. Otherwise, in a call that reads a path step's
/// item or a function's parameters (`reads_inner`), an argument's type is known only where it
/// is written whole (evaluated again without that item, `id` would be nothing), and the
/// argument blamed is the one whatever the others' types.
fn blamed_for_count(
    signature: &str,
    args: &[&AstNode],
    reads_inner: bool,
    given: Option<&Vec<Given>>,
    value_of: &mut ValueOf,
) -> Option<usize> {
    let known = |values: &[JValue]| values.iter().map(|value| Some(letter(value))).collect::<Vec<_>>();
    if let Some(given) = given {
        return given
            .iter()
            .find_map(|given| blamed_argument_of_any(signature, &known(&given.args)));
    }
    let letters: Vec<_> = args
        .iter()
        .map(|arg| {
            (!reads_inner || written_whole(arg))
                .then(|| value_of(arg, &JValue::Undefined).map(|value| letter(&value)))
                .flatten()
        })
        .collect();
    blamed_argument_of_any(signature, &letters)
}

/// jsonata-js's words for `misfit`, the engine's error, raised by a call of `signature` given
/// `args`: in `enclosure`, where it reads a path step's item or a function's parameters, and
/// `given` its arguments item by item where that is known (`given_item_by_item`). `{TOKEN}`
/// stands for the function's name.
fn template(
    misfit: &Misfit,
    signature: &str,
    args: &[&AstNode],
    enclosure: Option<&AstNode>,
    given: Option<&Vec<Given>>,
    value_of: &mut ValueOf,
) -> Option<String> {
    // The engine words a step's item standing in for a first argument not given, and not
    // fitting, as that argument not fitting (`items.$lowercase()`); jsonata-js blames the
    // context value.
    let context_stood_in = match misfit {
        Misfit::Context => true,
        Misfit::Argument {
            index: 1, element: None, ..
        } => match given {
            // Given the context item for the first item it fails for.
            Some(given) => given
                .iter()
                .find(|given| fails_for(given, misfit, signature))
                .is_some_and(|given| given.context.is_some()),
            None => args.is_empty() && first_takes_context(signature) && enclosure.is_some(),
        },
        _ => false,
    };
    if context_stood_in {
        return Some(format!(
            "T0411: Context value is not a compatible type with argument 1 of function {TOKEN}"
        ));
    }
    Some(match misfit {
        Misfit::Argument {
            code,
            index,
            element: None,
        } => format!("{code}: Argument {index} of function {TOKEN} does not match function signature"),
        Misfit::Argument {
            code,
            index,
            element: Some(element),
        } => format!(
            "{code}: Argument {index} of function {TOKEN} must be an array of \"{}\"",
            plural(element)?
        ),
        Misfit::Count(_) => {
            let index = blamed_for_count(signature, args, enclosure.is_some(), given, value_of)?;
            format!("T0410: Argument {index} of function {TOKEN} does not match function signature")
        }
        // Answered above.
        Misfit::Context => return None,
    })
}

/// The call `message`, an engine error from evaluating `ast`, blames when it is a signature
/// error whose function the expression names; `value_of` evaluates an argument, whose type
/// decides the argument jsonata-js blames for a wrong count.
pub(crate) fn blame<'a>(message: &str, ast: &'a AstNode, value_of: &mut ValueOf) -> Option<Blame<'a>> {
    let misfit = misfit(message)?;
    let nodes = crate::jsonata_references::nodes(ast);
    // A function with a signature of its own (a lambda's) is checked as a builtin is.
    if nodes.iter().any(|node| matches!(node, AstNode::Lambda { signature: Some(_), .. })) {
        return None;
    }
    let calls: Vec<_> = calls(ast)
        .into_iter()
        .filter_map(|(node, name, args)| SIGNATURES.iter().find(|(n, _)| *n == name).map(|(n, sig)| (node, *n, *sig, args)))
        .collect();
    let reading_inner = crate::jsonata_calls::calls_reading_an_inner_context(&nodes);
    let enclosure_of = |call: &AstNode| {
        reading_inner
            .iter()
            .find(|(inner, _)| std::ptr::eq(*inner, call))
            .map(|(_, enclosure)| *enclosure)
    };
    // A call in a path's later step or a function's body reads that step's item or the
    // function's parameters, without which its arguments cannot be evaluated again; it may have
    // failed where what encloses it fails. Where no other call is found to fail, the error is
    // such a call's, if all are of one function (`$states.input.items.$uppercase(name)`); for an
    // array of the wrong elements, of those whose signature wants that element type
    // (`$states.input.items.$merge($)`); for an argument of the wrong type, of those whose
    // parameter there refuses a type (`items.$string(id).$abs($)` is `$abs`'s).
    let wants = |signature: &str| match misfit {
        Misfit::Argument {
            element: Some(element), ..
        } => type_letter(element).is_some_and(|want| signature.contains(&format!("a<{want}>"))),
        Misfit::Argument { element: None, index, .. } => refuses_a_type(signature, index),
        _ => false,
    };
    // What a call that reads a path step's item was given for each item, where that is known.
    let given: Vec<(&AstNode, Vec<Given>)> = calls
        .iter()
        .filter_map(|(node, _, signature, args)| {
            let enclosure = enclosure_of(node)?;
            given_item_by_item(node, signature, args, enclosure, value_of).map(|given| (*node, given))
        })
        .collect();
    let given_to = |call: &AstNode| given.iter().find(|(node, _)| std::ptr::eq(*node, call)).map(|(_, given)| given);
    let fails_for_an_item =
        |call: &AstNode, signature: &str| given_to(call).map(|given| given.iter().any(|given| fails_for(given, &misfit, signature)));
    let may_have_failed = enclosed_calls_that_may_have_failed(&reading_inner, value_of);
    let unevaluated: Vec<_> = calls
        .iter()
        .filter(|(node, _, signature, _)| {
            may_have_failed.iter().any(|(call, _)| std::ptr::eq(*call, *node))
                && wants(signature)
                && fails_for_an_item(node, signature) != Some(false)
        })
        .cloned()
        .collect();
    let candidates: Vec<_> = calls
        .into_iter()
        .filter(|(node, _, signature, args)| match misfit {
            // A call that takes the step before's value for a missing first argument was not
            // given the count the engine saw; of one given it, the argument blamed must be known.
            Misfit::Count(n) => {
                args.len() == n && blamed_for_count(signature, args, enclosure_of(node).is_some(), given_to(node), value_of).is_some()
            }
            // One whose arguments, evaluated again (item by item, where it reads a path step's
            // item and that is known), fail its signature as the engine says; one whose argument
            // fails to evaluate raised that error instead.
            Misfit::Argument { .. } => fails_for_an_item(node, signature).unwrap_or_else(|| {
                args.iter()
                    .map(|arg| value_of(arg, &JValue::Undefined))
                    .collect::<Option<Vec<_>>>()
                    .is_some_and(|values| fails_as(&misfit, signature, &values))
            }),
            // Only a parameter the context item may stand in for (`-`) takes it.
            Misfit::Context => first_takes_context(signature) && fails_for_an_item(node, signature) != Some(false),
        })
        .collect();
    // Of the calls not evaluated again, none is known to have run first or to have failed: of
    // several functions, none is named.
    let found_failing = !candidates.is_empty();
    let candidates = if found_failing { candidates } else { unevaluated.clone() };
    let one_function = of_one_function(&candidates);
    if !one_function && !found_failing {
        return None;
    }
    // Of several functions, the one jsonata-js evaluates first, where that is certain.
    let chosen = match one_function {
        true => candidates.into_iter().next()?,
        false => {
            let found = candidates.into_iter().map(|call| (call.0, call)).collect();
            crate::jsonata_evaluation_order::the_one_evaluated_first(ast, found, value_of)?.1
        }
    };
    let failed_before = failed_before(ast, &nodes, &chosen, &unevaluated, &may_have_failed, value_of)?;
    let (node, name, signature, args) = match failed_before.first() {
        None => chosen,
        Some(_) if of_one_function(&failed_before) => failed_before.into_iter().next()?,
        Some(_) => return None,
    };
    let template = template(&misfit, signature, &args, enclosure_of(node), given_to(node), value_of)?;
    Some(Blame {
        node,
        template,
        token: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Literals as they evaluate; anything else (a path, `$states.input.a`) is nothing.
    fn literal(node: &AstNode) -> JValue {
        match node {
            AstNode::String(s) => JValue::string(s.as_str()),
            AstNode::Number(n) => JValue::Number(*n),
            AstNode::Array(items) => JValue::array(items.iter().map(literal).collect()),
            _ => JValue::Undefined,
        }
    }

    fn reworded(message: &str, expr: &str) -> Option<String> {
        let ast = crate::jsonata::parse(expr).unwrap();
        crate::jsonata_blame::in_jsonata_js_words(message, &ast, &mut |arg, _| Some(literal(arg)))
    }

    /// Of calls of different functions, the one whose arguments, evaluated again, do not fit,
    /// or of several the one jsonata-js evaluates first (jsonata-js 2.0.6's words, run there);
    /// none where what `or` may not need comes first. A branch not taken is never evaluated.
    #[test]
    fn of_several_functions_the_one_that_fails_first_is_named() {
        let not_fitting = |n: usize, name: &str| format!("T0410: Argument {n} of function \"{name}\" does not match function signature");
        for (engine, expr, jsonata_js) in [
            (
                "T0410: Argument 3 must be Number",
                "$uppercase($substring(1, 0, 1))",
                Some(not_fitting(3, "substring")),
            ),
            (
                "T0410: Argument 1 must be Number",
                "$abs('x') + $sqrt('y')",
                Some(not_fitting(1, "abs")),
            ),
            (
                "T0412: Argument 1 must be an array of Number",
                "$sum(['a']) + $max(['b'])",
                Some("T0412: Argument 1 of function \"sum\" must be an array of \"numbers\"".to_string()),
            ),
            ("T0410: Argument 1 must be Number", "($x or $abs('x')) + $sqrt('y')", None),
            (
                "T0410: Argument 1 must be Number",
                "($x ? $abs('x') : 1) + $sqrt('y')",
                Some(not_fitting(1, "sqrt")),
            ),
        ] {
            assert_eq!(reworded(engine, expr), jsonata_js, "{expr}");
        }
    }

    #[test]
    fn the_engine_s_words_become_jsonata_js_s_for_the_function_called() {
        for (engine, expr, jsonata_js) in [
            (
                "T0410: Argument 1 must be Number",
                "$abs('x')",
                "T0410: Argument 1 of function \"abs\" does not match function signature",
            ),
            (
                "T0412: Argument 1 must be an array of Number",
                "$states.input.a + $sum(['a'])",
                "T0412: Argument 1 of function \"sum\" must be an array of \"numbers\"",
            ),
            (
                "T0412: Argument 1 of function $join must be an array of String",
                "$join([1, 2])",
                "T0412: Argument 1 of function \"join\" must be an array of \"strings\"",
            ),
            (
                "T0410: Argument count mismatch: expected 1, got 2",
                "$sum([1], 2)",
                "T0410: Argument 2 of function \"sum\" does not match function signature",
            ),
            (
                "T0411: Context value does not match function signature (expected String)",
                "$states.input.n.$uppercase()",
                "T0411: Context value is not a compatible type with argument 1 of function \"uppercase\"",
            ),
        ] {
            assert_eq!(reworded(engine, expr).as_deref(), Some(jsonata_js), "{expr}");
        }
    }

    #[test]
    fn a_count_picks_the_call_with_that_many_arguments_and_what_stays_undecided_keeps_the_engine_s_words() {
        // `~>` passes its left side as the first argument (jsonata-js: Argument 2 of "uppercase").
        assert_eq!(
            reworded("T0410: Argument count mismatch: expected 0, got 2", "'a' ~> $uppercase(1)").as_deref(),
            Some("T0410: Argument 2 of function \"uppercase\" does not match function signature")
        );
        assert_eq!(
            reworded(
                "T0410: Argument count mismatch: expected 1, got 2",
                "$count($states.input.a) + $sum([1], 2)"
            )
            .as_deref(),
            Some("T0410: Argument 2 of function \"sum\" does not match function signature")
        );
        // A call past a path's first step has the step before's value for a missing first
        // argument (jsonata-js 2.0.6, run there: `reverse`).
        assert_eq!(
            reworded("T0410: Argument count mismatch: expected 1, got 0", "[1] ~> $reverse().$string()").as_deref(),
            Some("T0410: Argument 1 of function \"reverse\" does not match function signature")
        );
        // Evaluated again, `$abs` of nothing fits; `$sqrt('x')` is the call that fails.
        assert_eq!(
            reworded("T0410: Argument 1 must be Number", "$abs($states.input.a) + $sqrt('x')").as_deref(),
            Some("T0410: Argument 1 of function \"sqrt\" does not match function signature")
        );
        assert_eq!(reworded("T0410: Argument 1 must be Number", "$abs(1) + $partition('x', 2)"), None);
        assert_eq!(
            reworded("D3060: The sqrt function cannot be applied to a negative number: -1", "$sqrt(-1)"),
            None
        );
    }
}
