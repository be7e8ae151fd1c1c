//! JSONata against its reference implementation: each expression below is evaluated by Baton
//! (`baton_asl::jsonata::evaluate`, as a Pass state's `Output` would be) and by jsonata-js 2.0.6,
//! the version Step Functions runs ("Step Functions implements JSONata based on the 2.0.6
//! specification", developer guide, Transforming data with JSONata; pinned in package.json), in
//! `tests/jsonata_reference/evaluate.cjs`, with the same `$states` and no input, and the two
//! must agree — on the value, on nothing (undefined), and on an error's code and words, which
//! AWS's causes carry (recorded in floci-io/floci#2668, #2687, #2737, #2745 and #2783). The
//! expressions are every builtin called with ten kinds of argument, the operators' and the
//! parser's errors, and everyday expressions. Where Baton answers otherwise on purpose (AWS's
//! recorded answer) or the embedded engine falls short, the expression is listed, with the
//! reason, in `tests/jsonata-reference-differences.json`; a listed one that now agrees must go.
//!
//! Needs Node and the jsonata package that `scripts/test.sh` installs (`npm ci`).

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "test fixtures: a panic is the failure report")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use baton_asl::jsonata::{Env, evaluate};
use serde_json::{Value, json};

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// jsonata-js's builtins, each called with no argument, with one of each JSON type, with too
/// many, and with two of a kind.
fn calls() -> Vec<String> {
    const BUILTINS: &str = "sum count max min average string substring substringBefore substringAfter lowercase uppercase length \
        trim pad match contains replace split join formatNumber formatBase formatInteger parseInteger number floor ceil round abs \
        sqrt power boolean not map zip filter single reduce sift keys lookup append exists spread merge reverse each error assert \
        type sort shuffle distinct base64encode base64decode encodeUrlComponent encodeUrl decodeUrlComponent decodeUrl toMillis \
        fromMillis";
    const ARGUMENTS: [&str; 10] = ["", "1", "'a'", "true", "[1]", "{}", "null", "1,2,3,4,5", "'a','b'", "[1],'x'"];
    BUILTINS
        .split_whitespace()
        .flat_map(|f| ARGUMENTS.iter().map(move |a| format!("${f}({a})")))
        .collect()
}

/// Operators and functions that fail with a value in their words, expressions that do not
/// parse, and expressions that succeed.
const EXPRESSIONS: &[&str] = &[
    // Operators' errors.
    "'a' + 1",
    "1 - 'a'",
    "-'a'",
    "$states.input.none < 1 or 'a' < 1",
    "1 > 'a'",
    "true < false",
    "[1..1e10]",
    "['a'..2]",
    "[1..'a']",
    "{} ~> 1",
    // Of two operators that would fail, the one evaluated first.
    "-(-'a' & 'b') & -'c'",
    "(true > 0) + ({} < 1)",
    "$string(-'a') & -[1]",
    "-'a' + ($states.input.x or -'b')",
    "($states.input.x ? (true < 1) : ({} > 1)) + (1 < {})",
    // Of calls of several functions, the one that fails first.
    "$uppercase($substring(1, 0, 1))",
    "$abs('x') + $sqrt('y')",
    "$sum(['a']) + $max(['b'])",
    // The only ordering operator, its operands a function's parameters.
    "$map([{}], function($v){ $v > 1 })",
    // An operator whose operand fails is not the one that failed.
    "((0 <= [1, 2]).x <= null)",
    "(true > 0).a > {}",
    "[{'a':1},{'a':'x'}]^(a)",
    // Functions' errors with values.
    "$number('abc')",
    "$sqrt(-1)",
    "$power(-1, 0.5)",
    "$toMillis('foo')",
    "$fromMillis(1, 'x[')",
    "$fromMillis(1, '[]')",
    "$fromMillis(1, '[Q]')",
    "$fromMillis(1, '[Z12345]')",
    "$formatBase(10, 50)",
    "$formatInteger(1, '#')",
    "$parseInteger('abc', '#')",
    "$decodeUrl('%')",
    "$decodeUrlComponent('%E0%A4%A')",
    "$error('custom')",
    "$assert(1 = 2, 'bad')",
    "$single([1,2])",
    "$single([])",
    "$sort([1,'a'])",
    "$replace('abc', '', 'x')",
    "$split('abc', '', -1)",
    "$match('a', /a/, -1)",
    "$reduce([1], function($a){1})",
    "$formatNumber(1, '#.#.#')",
    "$eval('1+1')",
    "'a' ~> $uppercase(1)",
    "$now('x[')",
    "[1..900000] ~> $count()",
    "[1/0]",
    // Expressions that do not parse.
    "a[1,2)",
    "\"unterminated",
    "1 +",
    "{\"a\":}",
    "$x :=",
    "{'a': 1}{'b'}",
    "(1",
    "[1, 2",
    "1 ]",
    "'a' 'b'",
    "1 +* 2",
    "@",
    ".a",
    "[1..]",
    "$sum(1,)",
    "1e400",
    "$match(\"a\", /abc",
    "$f(",
    "$count($states.input.a,",
    "[1,",
    "{'a':",
    // JSONata 2.1's operators, which 2.0.6 does not have.
    "$states.input.x ?? 1",
    "($states.input.x ?: 1) & ''",
    // Regular expression literals as jsonata-js reads them, and what it does not read.
    "$match('a/b/c', /[^/]+$/).match & $split('a/b', /[/]/)[1] & $replace('x(/)', /(\\(/\\))/, '-')",
    "$match('a', /a)/)",
    "$match('a', //)",
    "$replace('aa', /a/g, 'b')",
    "$match('a', /a/ig)",
    // A literal straight after a bracket that opens an expression, which 2.0.6 lexes as division.
    "$count([/a/])",
    "$map(['a'], (/a/)).match",
    "$match('a', [1, /a/][1]).match",
    "$states.input ~> |/a/|{}|",
    "1 := 2",
    "1 /* never closed",
    "!$states.input",
    "'\\x41'",
    "$states.input@x",
    "$map([1], function($v, i){ i })",
    // A range outside an array constructor, which 2.0.6 does not read.
    "$states.input.a[0..1]",
    "1..3",
    "$count(1..3)",
    "{'a': [1..3..4]}",
    "[1..3, 5][[0..1]]",
    // A call on the right of `~>` is called without its filters (2.0.6's evaluateApplyExpression).
    "[1, 2, 3] ~> $filter(function($v){ $v > 1 })[0]",
    "[1, 2] ~> $append(3)[-1] ~> $count()",
    "[3, 1] ~> $sort()[0]",
    "([1, 2, 3] ~> $reverse())[0]",
    "[1, 2, 3] ~> $reverse().$string()",
    // Expressions that succeed.
    "$formatNumber(1234.5678, '#,##0.00')",
    "$formatNumber(0.5, '0%')",
    "$formatNumber(1e300*1e300, '#')",
    "$formatBase(255, 16)",
    "$formatInteger(1234, 'w')",
    "$fromMillis(1700000000000, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01][Z]')",
    "$fromMillis(1700000000000, '[FNn], [D1o] [MNn] [Y]')",
    "$toMillis('2023-11-14T22:13:20.123+01:00')",
    "$toMillis('14/11/2023', '[D]/[M]/[Y]')",
    "$string(0.1 + 0.2)",
    "$string(1/3)",
    "$round(2.5) & $round(3.5) & $round(-2.5) & $round(1.005, 2)",
    "$string({'a': 1.0, 'b': [1, 'a', true, null]})",
    "$number('1e3') + $number('0x1F')",
    "$sort(['b', 'a', 'C'])",
    "$distinct([1, '1', 1.0])",
    "$split('a, b,c', ', ')",
    "$replace('hello world', /o/, '0')",
    "$match('ab12cd34', /\\d+/)",
    "$contains('abc', /B/i)",
    "$substring('hello', -3, 2)",
    "$pad('x', -5, '#')",
    "$trim('  a   b  ')",
    "$uppercase('straße')",
    "$length('😀') & $substring('😀a', 1)",
    "$keys({'b':1, 'a':2})",
    "$merge([{'a':1},{'a':2,'b':3}])",
    "$spread({'a':1,'b':2})",
    "$each({'a':1}, function($v,$k){$k & $v})",
    "$sift({'a':1,'b':2}, function($v){$v>1})",
    "$zip([1,2],[3,4,5])",
    "[1,2,3][-1] & [1,2,3][[0,2]]",
    "[[1,2],[3]].$",
    "($x := [1,2]; $x[0])",
    "$type(null) & $type(function(){1})",
    "$boolean([]) & $boolean('0') & $not('')",
    "'a' & 1 & true & null",
    "[1,2] = [1,2]",
    "$map([1,2,3], function($v, $i){$v*$i})",
    "$reduce([1,2,3], function($a, $b){$a+$b}, 10)",
    "[{'n':'b'},{'n':'a'}]^(n).n",
    "[1,2,3,4]{'k': $}",
    "$base64encode('héllo')",
    "$encodeUrl('https://x.com/a b?q=1&r=é')",
    "$decodeUrl('https://x.com/a%20b%2F')",
    "$parseInteger('twelve', 'w') + $formatInteger(12, 'I')",
    "123456789012345678",
    "-7 % 3 & 5.5 % 2 & $floor(-1.5) & $ceil(-1.5)",
    "'abc' ~> /b/",
    "$string()",
    "$states.input ~> $string",
    "$lookup($states, 'input') & $count($states.input) & $exists($states.input.x) & $type($states.input)",
    "$merge([$states.input, {'a': 1}])",
    "$sort([3,1,2], function($a, $b) { $a < $b })",
    "$filter([1,2,3,4], function($v) { $v % 2 = 0 })",
    "$reduce(['a','b','c'], function($acc, $v) { $acc & $v })",
    "$single([1,2,3], function($v) { $v = 2 })",
    "$spread([{'a':1},{'b':2}])",
    "$join($map(['a','b'], $uppercase), '-')",
    "$replace('2023-01-02', /(\\d+)-(\\d+)-(\\d+)/, '$3/$2/$1')",
    "$split('a1b2c3', /\\d/)",
    "$substringBefore('a.b.c', '.') & $substringAfter('a.b.c', '.')",
    "$pad('7', 3, '0') & $pad('7', -3, '0')",
    "$formatNumber(1234567.891, '#,##0.###') & $formatNumber(-0.5, '0.0;(0.0)') & $formatNumber(12, '000')",
    "$formatNumber(0.125, '#0.0#') & $formatNumber(1e-3, '0.0e0')",
    "$formatInteger(2024, '0001') & $formatInteger(42, 'W') & $formatInteger(1999, 'I') & $formatInteger(5, 'Ww')",
    "$parseInteger('MMXXIV', 'I')",
    "$fromMillis(0) & $fromMillis(1700000000123, '[H01]:[m01]:[s01].[f001]')",
    "$fromMillis(1700000000000, '[Y]-[M]-[D]', '+0530') & $fromMillis(1700000000000, '[dwo] [MNn,*-3]')",
    "$toMillis('2023-11-14') & $toMillis('2023-11-14T22:13:20') & $toMillis('2023-11-14 22:13', '[Y]-[M]-[D] [H]:[m]')",
    "$number('-1.5e-3') & $string(123.456e5) & $string(-0) & $string([1.10, 2.50])",
    "$round(1234.5678, -2) & $round(0.125, 2) & $round(0.135, 2)",
    "100000000000000000000 + 1",
    "0.1 * 3 & 1 / 3 * 3 & $sum([0.1, 0.2, 0.3]) & $average([1, 2, 3, 4])",
    "'abc' in ['abc', 'def'] and $not(3 in [1,2])",
    "$boolean({}) & $boolean({'a':1}) & $boolean([0]) & $boolean([0, 1]) & $not(null)",
    "null = null and '1' != 1 and [] = []",
    "$distinct([[1],[1],{'a':1},{'a':1}])",
    "$append([1,2], [[3]]) & $count([[1,2],[3]])",
    "$length('ß') & $uppercase('ǆ') & $lowercase('İ')",
    "$substring('abcdef', 2) & $substring('abcdef', -2) & $substring('abcdef', 1, -1)",
    "$encodeUrlComponent('€ & ü') & $decodeUrlComponent('%E2%82%AC') & $base64decode('SGVsbG8=')",
    "($a := 1; $b := $a + 1; $b * 2)",
    "($fact := function($n){ $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(10))",
    "[1..5][$ > 2]",
    "{'a': {'b': {'c': 1}}}.**.c",
    "[{'g':'x','v':1},{'g':'y','v':2},{'g':'x','v':3}]{g: $sum(v)}",
    "$states.input ~> | $ | {'added': true} |",
    "$fromMillis(1700000000123.7) & ' ' & $fromMillis(-1.5) & ' ' & $fromMillis(0.9, '[s01].[f001]')",
    "$fromMillis(1700000000123.7, '[Y0001]-[M01]-[D01] [H01]:[m01]', '+0530')",
    "$formatBase(2.5) & $formatBase(3.5) & $formatBase(-2.5) & $formatBase(-0.5) & $formatBase(0.5, 2) & $formatBase(10, 2.5)",
    "$map([10, 255], $formatBase)",
    "$map([1700000000123.7, 2.5], function($v){ $fromMillis($v) & ' ' & $formatBase($v) })",
    "$string(12345678901234567) & ' ' & ('id-' & 1700000000123456)",
    "$number(' 12')",
    "$number('.5')",
    // An operator's error in a filter: jsonata-js names what it was given by the item the
    // filter was reading.
    "[1, '2'][$ > 1]",
    "[{'a': 1}, {'a': 'x'}, {'a': 'y'}][a > 0].a",
    "[1, 2, '3'][$ > 1 and $ < 5]",
    "[{'a': 1}, {'a': true}][a > 0]",
    "[1, 'x'][-$ < 0]",
    "[1, 'x'][$ > 0 and $ * 2 > 0]",
    // `$reduce`, which Baton supplies where the fold starts from nothing.
    "$reduce([], function($a, $b){ $a + $b })",
    "$reduce([2, 3], function($a, $b){ $a * $b }, $states.input.none)",
    "$reduce([], function($v){ $v })",
    "$reduce([1, 2, 3], function($a, $b, $i, $all){ $a & $i & $count($all) & $count($states.input) }, '')",
    "$reduce([], function($a, $b){ $a }, 0) & $reduce(null, function($a, $b){ $a }) & $reduce('x', function($a, $b){ $a })",
    "$reduce([1, 2], function($a, $b){ $a + 'x' })",
    "$reduce([1, 2], function($a, $b){ $a + $b }, 1, 2)",
    "$reduce([1, 2], $sum)",
    // A function parameter given nothing (a misspelt comparator) does not fit its signature.
    "$sort([2, 1], $states.input.none)",
    "$single([1], $states.input.none)",
    "$sift({'a': 1}, $states.input.none)",
    "$sort([2, 1], function($a, $b){ $a > $b + $count($states.input) })",
    "$single([1, 2], function($v){ $v > 1 }) & $sift({'a': 1, 'b': 2}, function($v){ $v > 1 }).b",
    "$sort(['b', 'a']) & $single(['x'])",
    // The context item standing in for the first argument of a function Baton stands in for.
    "(1700000000123.5).$fromMillis()",
    "[1700000000000, 0].$fromMillis('[Y0001]')",
    "(255).$formatBase(16)",
    "{'a': 1, 'b': 2}.$sift(function($v){ $v > 1 })",
    "[{'a': 1}, {'b': 2}].$sift(function($v, $k){ $k = 'b' })",
    // `$number` casts a string only when it is a JSON number (or 0x, 0o, 0b).
    "$number('+5')",
    "$number('5.')",
    "$number('\t3\n')",
    "$number('12') + $number('-1.5e3') + $number('0x1F') + $number(true)",
    "$number('1e999')",
    "$reduce([' 1', '2'], function($a, $v){ $a + $number($v) }, 0)",
    "('7').$number()",
    "$number('1') + $count($map(['2', '3'], $number))",
    "[$number('-0'), $number('1.0e+2'), $number(false), $number(2.5), $number('0.1') + $number('0.2')]",
    // An order-by clause that meets a number and a string names the pair its merge sort met first.
    "[{'a':1},{'a':2},{'a':'x'}]^(a)",
    "[{'a':'x'},{'a':1},{'a':2}]^(a)",
    "[{'a':1,'b':'x'},{'a':1,'b':2}]^(a,b)",
    "[{'a':3},{'a':1},{'b':0},{'a':2},{'a':'y'},{'a':5}]^(>a)",
    "[{'a':'b'},{'a':'a'},{'a':2}]^(a).a",
    // `$keys` and `$spread` of an array recurse into the arrays it holds.
    "$keys([[{'a': 1}], {'b': 2}])",
    "$keys([[[{'z': 1}]], [1]])",
    "$spread([[1, 2], [3]])",
    "$spread([[{'a': 1, 'b': 2}], {'c': 3}])",
    "$spread([[]])",
    "$spread([[], [[]]])",
    "$spread([1, [2, [null]]])",
    "$map([[1, [2]], []], function($v){ $spread($v) })",
    "$map([{}, {'a': 1}], function($v){ [$spread($v)] })",
    // `$trim` takes a space, a tab, a carriage return and a line feed for white space, no other.
    "$trim('\\u00a0 a \\u2003')",
    "$trim('\\u000b a\\t\\r\\n b \\u000c')",
    "$trim(' \\n a  b \\t')",
    "$trim('')",
    "$map(['  x ', 'y\\u00a0'], function($v){ $trim($v) })",
    // A call in a path's later step given an array of the wrong elements: its arguments read the
    // step's item, so the blame goes by the element type the signature wants.
    "[[1, 2], [3]].$merge($)",
    "[{'z': [1, 'a']}].$sum(z)",
    "[[1], ['a']].$sum($)",
    "[{'a': 1}, [1]].$merge($) ~> $count()",
    "[['x'], [1]].$join($, ',')",
    // A call whose arguments read a path step's item or a function's parameters, given what its
    // signature refuses, is named; where another call may have failed first, it is the one.
    "[{'id': 1}, {'id': 'a'}].$uppercase(id)",
    "[{'n': 'x'}].{'v': $abs(n)}",
    "[{'t': [1]}][$length(t) > 0]",
    "$map([1, 2], function($v){ $substring($v, 1) })",
    "[{'id': 1}].$pad(id, 3)",
    "[{'id': 1}].$lowercase(id) & $sqrt('x')",
    "$each($sqrt('x'), function($v){ $type($v) })",
    "$map([{'k': 1}], function($v){ $count($v.k) }) & $abs('x')",
    "$map(['a'], function($v){ $round($v) }) ~> $count() & $count(1, 2)",
    // `$exists($)` in a path step is whether the step's item is anything; with no argument, a
    // call on the context item is given none (its signature takes no context).
    "[1, null].$exists($)",
    "[{'a': 0}, {'b': 1}].{'a': $exists(a), 'it': $exists($)}",
    "[1, 2][$exists($)]",
    "[1, 2].$exists()",
    "[$exists($), $exists(null), $exists($sum), $exists($nope), $exists([][0])]",
    "$map([0, ''], function($v){ $exists($v) })",
    "[3, 1].$sort()",
    "[[3, 1], [2]].$sort($, function($x, $y){ $x < $y })",
    "[1, 2].$reduce(function($x, $y){ $x + $y })",
    "[{'a': 1}].$single()",
    // Too many or too few arguments to a call that reads a path step's item or a function's
    // parameters: the argument blamed where their types do not decide it; a step's item that
    // stands in for a first argument not given, and does not fit, is the context value.
    "[{'id': 1}].$count(id, 2)",
    "[{'id': 'a'}].$keys(id, 1)",
    "[{'id': 1}].$join(id, ',', 3)",
    "[{'id': 1}].$pad()",
    "$map([1], function($v){ $count($v, 3) })",
    "[1, 2].$lowercase()",
    "[{'a': 1}][$uppercase() = 'A']",
    "[{'id': 1}].$string(id).$abs($)",
    "[{'id': 'a'}].$uppercase(id, 1)",
    "[{'id': 1}].$uppercase(id, 1)",
    "[{'id': 'a'}, {'id': 1}].$substring(id, 1, 2, 3)",
    "[{'id': 1}, {'id': true}].$string(1, id, 3)",
    "[1, 'x'][$length(nope, 'a', 'a')]",
    "[{'t': 'a'}][$length(t, 'a') > 0]",
    "[1, 2].$number(1).$pad(1)",
    "[1, 'x'][$fromMillis()]",
    "['abc', 'de'].$substring(1)",
    // A function handed to `$split` for a separator that answers no match object.
    "$split('a', function($v){ $v })",
    // A call on the right of `~>` is handed the left side as its first argument, not a context
    // item: jsonata-js's own function runs there, as where it is called with it.
    "[[{'a': 1}], {'b': 2}] ~> $keys()",
    "[[{'a': 1}], [{'b': 2}]] ~> $spread()",
    "'12 ' ~> $number()",
    "'0x1F' ~> $number()",
    "' a\u{2003} ' ~> $trim()",
    "1.5 ~> $fromMillis()",
    "[3, 1] ~> $sort($states.input.none)",
    "[1.5, 2.5] ~> $map(function($v){ $v ~> $fromMillis() })",
    "[] ~> $reduce(function($x, $y){ $x + $y }) ~> $exists()",
    // `&` writes its operands with `$string`, which cannot write an infinite number or NaN, nor
    // (its `JSON.stringify`) an array or object holding an infinite number.
    "'a' & (1/0)",
    "(0/0) & 'a'",
    "'a' & [1, -1/0]",
    "{'k': 1/0} & 'a'",
    "$string({'k': 1/0})",
    "$map([0], function($v){ 'a' & (1/$v) })",
    // An operator in the body of a function handed to `$map`, `$filter`, `$single`, `$each` or
    // `$sift` fails with the values of the first call whose operands do not fit.
    "$filter(['abc'], function($v){ $v > 1 })",
    "$filter([1, 'a'], function($v, $i){ $v > $i })",
    "$map([{'p': 1}, {'p': '12'}], function($v){ $v.p > 10 })",
    "[1, 'a'] ~> $filter(function($v){ $v > 0 })",
    "$map(['a'], function($v){ -$v })",
    "$single([1, 'x'], function($v){ $v < 5 })",
    "$each({'a': 1, 'b': 'x'}, function($v, $k){ $v >= 0 })",
    "$sift({'a': 'x'}, function($v){ $v * 2 })",
    // Where the operands read a parameter of an enclosing function, the engine's words stay.
    "$map([1], function($v){ $map(['a'], function($w){ $w > $v }) })",
    // The URL functions passed as a value, and called on a path step's item.
    "$map(['a b', 'c/d'], $encodeUrl)",
    "$map(['a b'], $encodeUrlComponent)",
    "['a b'].$encodeUrl()",
    "[{'a': 1}].$encodeUrl()",
    "['a%2Fb'].$decodeUrlComponent()",
    "($encodeUrl := function($x){ 'mine' }; $map(['a'], $encodeUrl))",
    // The other builtins Baton stands in for, called where the context item may stand in for
    // their first argument, and passed as a value. (jsonata-js names an error of a builtin
    // passed as a value after the last call of that builtin the process made, if any, else after
    // the call it was handed to: such errors are left out, their words hang on history.)
    "[2.5, -0.5].$formatBase()",
    "$map([2.5, -0.5], $formatBase)",
    "($f := $formatBase; $f(2.5))",
    "$map([[[{'a': 1}], {'b': 2}]], $keys)",
    "$map(['5.'], $number)",
    "$single(['a', 'b'], $number)",
    "$reduce([1, 2], $trim)",
    "$reduce([1], $encodeUrl, 'x')",
    "$filter([' ', 'a'], $trim)",
    "$map([[1, 1, 2]], $distinct)",
    "$map([{'a': null}], $exists)",
    "['ab'].($pad(4))",
    "['ab'].$pad(4, '-')",
    "[{'a': 1}].$pad(4)",
    "$pad(4)",
    "$sort([[2, 1]].$sift(function($v){ $v }))",
    "[{'a': 1, 'b': [1, [2]]}].$spread()",
    "['SGVsbG8='].$base64decode()",
    // Too many arguments to a call on a path step's item, a builtin among them: jsonata-js
    // blames the first argument that does not fit.
    "[{'a': 1}, {'a': 2}].$uppercase($uppercase, '%41', '')",
    "[{'a': 1}].$ceil([1], $string)",
    "[{'a': 1}].$trim($uppercase, /a/)",
    // A transform changes the objects its location selects and no other, however equal.
    "{'billing': {'city': 'Oslo'}, 'shipping': {'city': 'Oslo'}} ~> |billing|{'kind': 'billing'}|",
    "[{'x': 1}, {'x': 1}] ~> |$[0]|{'y': 2}|",
    "{'o': [{'a': 1}, {'a': 2}]} ~> |o#$i[$i = 1]|{'x': 5}|",
    "{'a': {'b': {'c': 1}}} ~> |a.b|{'w': 1}| ~> |a|{'v': 1}, 'b'|",
    "{'a': [{'b': 1, 'c': 2}]} ~> |a|{'d': b + c}, ['b', 'c']|",
    "($t := |a|{'z': 1}|; $t({'a': {'x': 1}}))",
    "{'a': 1} ~> |$|'x'|",
    "{'a': 1} ~> |$|{}, 5|",
    "5 ~> |$|{}|",
    "[[1, 2], [3]] ~> |$|{'n': $count($)}|",
    // Items deep equal are kept once (jsonata-js's deepEquals), by Baton's hashing stand-in.
    "$distinct([1, 1.0, -0, 0, '1'])",
    "$distinct([{'a': 1, 'b': [2]}, {'b': [2], 'a': 1}, {'a': 1}])",
    "$distinct([[1, [2]], [1, [2]], [[1], 2]])",
    "$distinct([{'ab': 'c'}, {'a': 'bc'}, 'ab', 'a'])",
    "$map([[1, 1], [2, 2]], $distinct)",
    // An operator given an infinite number: jsonata-js's isNumeric throws, writing it as JSON.
    "(1/0) + 1",
    "[1/0] ~> $map(function($v){ $v * 2 })",
    // A comparator's error quotes the two items jsonata-js's merge sort compared when it failed.
    "$sort([1, 2, 3, 'x'], function($a, $b){ $a > $b })",
    "$sort([3, 'a', 1], function($a, $b){ $a < $b })",
    "$sort([{'a': 1}, {'a': 'x'}, {'a': 2}], function($l, $r){ $l.a > $r.a })",
    "[9.5, 120, '12', 0.1] ~> $sort(function($a, $b){ $a > $b })",
    "$sort(['b', true, 'a'], function($a, $b){ $a > $b })[0] > 1",
    // Regular expressions as JavaScript reads them (`new RegExp(pattern, flags)`, no `u` flag).
    "$match('Café au lait', /\\w+/).match",
    "$replace('héllo wörld', /\\W+/, '|')",
    "$contains('٣', /\\d/)",
    "$match('aéz', /[\\w-]+/).match",
    "$replace('a\\u0085b\\ufeffc', /\\s/, '_')",
    "$split('a b\\tc', /\\s/)",
    "$match('ab\\r\\nc', /b.+/).match",
    "$match('x\\ny', /[^]+/).match",
    "$replace('Straße süß', /\\b\\w/, 'X')",
    "$match('a{b}', /a{b}/).match",
    "$contains('za', /\\z\\a/)",
    "$match('A1', /\\x41\\u0031/).match",
    "$split('a[b&c', /[[&]/)",
    // Look-around and back-references, which the engine's regular expressions cannot run, run
    // by Baton's `$match`, `$replace`, `$split` and `$contains` (`jsonata_regex_backtracking`).
    "$match('foobar', /foo(?=bar)/).match",
    "$replace('abab', /(ab)\\1/, 'x')",
    "$match('foobar foobaz', /foo(?=ba[rz])/)",
    "$replace('abab abab', /(ab)\\1/, '[$1]')",
    "$replace('a1b2', /(?<=[a-z])\\d/, function($m){ '<' & $m.match & $m.start & '>' })",
    "$contains('Passw0rd!', /^(?=.*\\d)(?=.*[a-z]).{8,}$/)",
    "$contains('password', /^(?=.*\\d)(?=.*[a-z]).{8,}$/)",
    "$match('😀a😀a', /(?<=😀)a/)",
    "$match('AbA', /a(?=b)/i)",
    "$match('a\\nb', /^(?!a)\\w/m)",
    "$split('a,b,,c', /,(?=,)|,/, 2)",
    "$split('a-b_c', /(?<=[a-z])[-_]/)",
    "$replace('aaa', /a(?!$)/, 'b', 1)",
    "$map(['ab', 'b'], function($s){ $contains($s, /(?<!a)b/) })",
    "['ab', 'cb'].$match(/(?<=c)b/).index",
    "$match('a b', /\\b(?=b)/)",
    "$match('b', /(a)?(?=b)b/).groups",
    "$match('x', /(?=x)/, -1)",
    "$replace('abc', /(?=b)b/, function($m){ 5 })",
    "$split('aXbXc', /(?=X)/)",
    "$match('ab', /(?=a)|b/, 1)",
    "$contains($nothing, /(?=a)/)",
    "$match('abab', /(?<x>ab)\\k<x>/).groups",
    "'ab' ~> /(?=b)/",
    // A back-reference to a group that has not taken part matches nothing, and succeeds.
    "$match('xa', /\\1x(a)/)",
    "$replace('bc', /(?:(a)|b)\\1c/, 'X')",
    "$match('abab', /(\\w\\1)(?=b)/)",
    // An empty message is as none.
    "$error('')",
    "'' ~> $error()",
];

/// One expression's answer, as both sides give it.
#[derive(Debug, PartialEq)]
enum Answer {
    Value(Value),
    Nothing,
    Function,
    Error(String),
    Invalid(String),
}

fn reference(expressions: &[String], states: &Value) -> Vec<Answer> {
    let node = std::env::var_os("BATON_NODE").unwrap_or_else(|| "node".into());
    let mut child = Command::new(&node)
        .arg(here().join("jsonata_reference/evaluate.cjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/test.sh, which needs Node", node.to_string_lossy()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            json!({"bindings": {"states": states}, "expressions": expressions})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jsonata-js failed (run scripts/test.sh, whose `npm ci` installs it): {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    answers
        .into_iter()
        .map(|a| match a {
            Value::Object(mut m) if m.contains_key("value") => Answer::Value(m.remove("value").unwrap()),
            Value::Object(m) if m.contains_key("undefined") => Answer::Nothing,
            Value::Object(m) if m.contains_key("function") => Answer::Function,
            Value::Object(m) if m.contains_key("error") => Answer::Error(m["error"].as_str().unwrap().to_string()),
            other => Answer::Invalid(other["invalid"].as_str().unwrap().to_string()),
        })
        .collect()
}

fn baton(expression: &str, states: &Value) -> Answer {
    let variables = BTreeMap::new();
    let env = Env {
        states,
        variables: &variables,
    };
    match evaluate(expression, &env, "Output") {
        Ok(Some(value)) => Answer::Value(value),
        Ok(None) => Answer::Nothing,
        Err(e) if e.cause.ends_with("returned an unsupported result type.") => Answer::Function,
        Err(e) => match e.cause.split_once("threw an error during evaluation") {
            Some((_, tail)) => Answer::Error(tail.trim_start_matches(['.', ':', ' ']).to_string()),
            None => Answer::Invalid(
                e.cause
                    .split_once("does not parse: ")
                    .map_or(e.cause.clone(), |(_, m)| m.to_string()),
            ),
        },
    }
}

/// Numbers compare as numbers: jsonata-js writes `1e21` where Baton writes `1e+21`, and an
/// integer past 2^53 as an integer.
fn same(a: &Answer, b: &Answer) -> bool {
    fn numbers_as_f64(v: &Value) -> Value {
        match v {
            Value::Number(n) => json!(n.as_f64()),
            Value::Array(items) => Value::Array(items.iter().map(numbers_as_f64).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), numbers_as_f64(v))).collect()),
            other => other.clone(),
        }
    }
    match (a, b) {
        (Answer::Value(x), Answer::Value(y)) => numbers_as_f64(x) == numbers_as_f64(y),
        _ => a == b,
    }
}

#[test]
fn agrees_with_jsonata_js() {
    let expressions: Vec<String> = calls().into_iter().chain(EXPRESSIONS.iter().map(|e| e.to_string())).collect();
    let states = json!({"input": {}});
    let expected = reference(&expressions, &states);
    let known: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(here().join("jsonata-reference-differences.json")).unwrap()).unwrap();
    let mut unexplained = Vec::new();
    let mut agreed = 0;
    for (expression, js) in expressions.iter().zip(&expected) {
        let ours = baton(expression, &states);
        match (same(js, &ours), known.contains_key(expression)) {
            (true, false) => agreed += 1,
            (true, true) => unexplained.push(format!("{expression}: agrees now; remove it from the differences")),
            (false, true) => {}
            (false, false) => unexplained.push(format!("{expression}: jsonata-js {js:?} | baton {ours:?}")),
        }
    }
    for listed in known.keys().filter(|k| !expressions.contains(k)) {
        unexplained.push(format!("{listed}: listed but not evaluated"));
    }
    println!("agreement with jsonata-js: {agreed}/{} expressions", expressions.len());
    assert!(
        unexplained.is_empty(),
        "differences from jsonata-js that are not explained:\n{}",
        unexplained.join("\n")
    );
}
