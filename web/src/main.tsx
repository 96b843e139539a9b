import { render } from "preact";
import { App } from "./app.tsx";
import { I18nProvider } from "./i18n/index.tsx";
import { SessionProvider } from "./session.tsx";
import "./styles.css";

render(
  <I18nProvider>
    <SessionProvider>
      <App />
    </SessionProvider>
  </I18nProvider>,
  document.getElementById("app")!,
);
