// JSON.parse silently keeps the last of two equal keys; an untrusted header must not be read two ways
// (another reader may keep the first), so duplicates are found with one iterative scan of valid JSON.

/** The first key that appears twice in one object of a valid JSON text, with its object's path, or null. */
export function duplicateKey(json: string): string | null {
  const stack: ({ keys: Set<string>; path: string } | null)[] = [];
  let prev = '';
  let lastKey = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && (prev === '{' || prev === ',')) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys.add(key);
        lastKey = key;
      }
      i = end;
      prev = '"';
    } else if (c === '{') {
      const parent = stack[stack.length - 1];
      const path = parent ? (parent.path ? `${parent.path}.${lastKey}` : lastKey) : '';
      stack.push({ keys: new Set(), path });
      prev = c;
    } else if (c === '[') {
      stack.push(null);
      prev = c;
    } else if (c === '}' || c === ']') {
      stack.pop();
      prev = c;
    } else if (c === ',' || c === ':') {
      prev = c;
    } else if (c.trim()) {
      prev = 'v';
    }
  }
  return null;
}
