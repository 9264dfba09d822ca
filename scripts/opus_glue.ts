/**
 * Writes the browser's copy of opusscript's emscripten glue (the JavaScript
 * that loads the same libopus wasm the terminal client uses), run by
 * scripts/build_web.sh. One function differs from the npm file: embind's
 * `craftInvokerFunction`, which builds each C++ method's JavaScript wrapper
 * from a string with `new Function`. The page's Content-Security-Policy
 * allows no string evaluation, so the copy builds the same wrapper as a
 * closure (what emscripten itself emits with -sDYNAMIC_EXECUTION=0). The
 * wasm and everything else are untouched.
 *
 *   deno run --allow-read --allow-write scripts/opus_glue.ts GLUE_IN GLUE_OUT
 *
 * @module
 */

const [input, output] = Deno.args;
if (!input || !output) {
  console.error("usage: opus_glue.ts GLUE_IN GLUE_OUT");
  Deno.exit(2);
}

// The whole minified function in opusscript 0.1.1: b is the name, a the argument
// types (return type, `this` type, then arguments), c the class, d the wasm
// invoker, e the C++ function; M is throwBindingError, pb runDestructors, and
// a type's M its destructor.
const START = "function rb(b,a,c,d,e,g){";
const END = "return qb(m).apply(null,d)}";

const CLOSURE = `function rb(b,a,c,d,e){var k=a.length;2>k&&M("argTypes array size mismatch!");` +
  `var f=null!==a[1]&&null!==c,l=!1;for(c=1;c<a.length;++c)if(null!==a[c]&&void 0===a[c].M)` +
  `{l=!0;break}var n="void"!==a[0].name;return function(){arguments.length!==k-2&&` +
  `M("function "+b+" called with "+arguments.length+" arguments, expected "+(k-2)+" args!");` +
  `var r=l?[]:null,q=[e],w=[],i;f&&q.push(a[1].toWireType(r,this));` +
  `for(i=0;i<k-2;++i){w[i]=a[i+2].toWireType(r,arguments[i]);q.push(w[i])}` +
  `var v=d.apply(null,q);if(l)pb(r);else for(i=f?1:2;i<a.length;++i)` +
  `null!==a[i].M&&a[i].M(1===i?q[1]:w[i-2]);if(n)return a[0].fromWireType(v)}}`;

const glue = await Deno.readTextFile(input);
const from = glue.indexOf(START);
const to = glue.indexOf(END, from);
if (from < 0 || to < 0 || glue.indexOf(START, from + 1) >= 0) {
  console.error(`opus_glue: ${input} is not the opusscript glue this script knows (0.1.1)`);
  Deno.exit(1);
}
const patched = glue.slice(0, from) + CLOSURE + glue.slice(to + END.length);
if (/new Function|\bFunction\(|\beval\(/.test(patched.replace(/var a=Function;/, ""))) {
  console.error("opus_glue: the glue still evaluates strings");
  Deno.exit(1);
}
await Deno.writeTextFile(output, patched);
