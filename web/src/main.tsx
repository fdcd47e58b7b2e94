import { createRoot } from "react-dom/client";
import { App } from "./App";
import { ServicesProvider } from "./app/context";
import { createServices } from "./app/services";
import { loadConfig } from "./lib/config";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
loadConfig().then((config) => {
  const services = createServices(config);
  root.render(
    <ServicesProvider services={services}>
      <App />
    </ServicesProvider>,
  );
});
