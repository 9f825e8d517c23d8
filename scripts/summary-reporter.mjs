// A node:test reporter that prints, after the TAP output, each skipped test with
// its reason and one closing line "N passed, N failed, N skipped" (the line CI reads).
export default async function* summary(source) {
  let passed = 0, failed = 0, skipped = 0;
  const skips = [];
  for await (const { type, data } of source) {
    // Only leaf tests count (suites report too, with nesting 0 and children).
    if (type === 'test:pass' || type === 'test:fail') {
      if (data.details?.type === 'suite') continue;
      if (data.skip !== undefined && data.skip !== false) {
        skipped++;
        skips.push(`  skipped: ${data.name}${typeof data.skip === 'string' ? ` (${data.skip})` : ''} [${data.file ? data.file.replace(/^.*\/dist\//, 'dist/') : ''}]`);
      } else if (data.todo !== undefined && data.todo !== false) passed++;
      else if (type === 'test:pass') passed++;
      else failed++;
    }
  }
  if (skips.length) yield `\n${skips.length} skipped test${skips.length === 1 ? '' : 's'}:\n${skips.join('\n')}\n`;
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
