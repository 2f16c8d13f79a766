/* localStorage and sessionStorage that never throw: a browser that refuses storage (private mode, a
   full quota, a sandbox) reads nothing and the page keeps going. */

function safe(store) {
  return {
    get(key) {
      try { return store().getItem(key); } catch { return null; }
    },
    set(key, value) {
      try { store().setItem(key, value); } catch { /* storage refused: keep going */ }
    },
    remove(key) {
      try { store().removeItem(key); } catch { /* ignore */ }
    },
  };
}

export const localStore = safe(() => window.localStorage);
export const sessionStore = safe(() => window.sessionStorage);
