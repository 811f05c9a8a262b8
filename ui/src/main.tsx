import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiClient } from './api/client';
import { App } from './App';
import { createTransport } from './platform';
import './styles.css';

let client: ApiClient | null = null;
const transport = createTransport(() => client?.currentToken ?? null);
client = new ApiClient(transport);

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
