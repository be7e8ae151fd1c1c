// Evaluates each JSONata expression read on stdin ({"bindings": {…}, "expressions": […]}) with
// jsonata-js (the reference implementation, pinned in package.json), the bindings bound and no
// input, as Step Functions gives an expression no context item; prints one result per expression:
// {"value": …} | {"undefined": true} | {"function": true} | {"error": "CODE: message"} |
// {"invalid": "message"} for one that does not parse.
const jsonata = require('jsonata');

const read = () => new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => { text += chunk; });
  process.stdin.on('end', () => resolve(JSON.parse(text)));
});

(async () => {
  const out = [];
  const { bindings, expressions } = await read();
  for (const expression of expressions) {
    let compiled;
    try {
      compiled = jsonata(expression);
    } catch (err) {
      out.push({ invalid: err.message });
      continue;
    }
    try {
      // A copy for each expression, as each evaluation on AWS reads its own input: jsonata-js can
      // change what it reads (a group-by over an empty array leaves an item in it), and a later
      // expression must not see that.
      const value = await compiled.evaluate(undefined, structuredClone(bindings));
      if (value === undefined) out.push({ undefined: true });
      else if (typeof value === 'function' || (value && value._jsonata_lambda)) out.push({ function: true });
      else out.push({ value: JSON.parse(JSON.stringify(value)) });
    } catch (err) {
      out.push({ error: `${err.code}: ${err.message}` });
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
